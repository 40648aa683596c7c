"""Operators, their API keys, drivers and vehicle register."""
