"""Renewals: the submitted declarations that end soon, filed again for the period after."""
