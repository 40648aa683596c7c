"""Load scenarios (locust) and the benchmark runner."""
