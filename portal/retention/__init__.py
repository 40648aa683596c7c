"""Retention: declarations, their versions and outbox rows go a configurable time after their end
date, audit rows after their own period, by dropping whole monthly partitions."""
