"""Synthetic fleets: realistic bulk-filing records for demos, tests and benchmarks."""
