"""Enforcement authorities: roadside search scoped to their country, every look-up audited."""
