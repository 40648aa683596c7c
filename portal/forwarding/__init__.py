"""Forwarding to authorities: every submission, update and withdrawal delivered to the host
country's endpoints (signed, in order, at least once), and the same events as a pull feed."""
