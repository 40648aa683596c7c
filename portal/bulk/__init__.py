"""Bulk filing: millions of self-contained records in one streamed upload."""
