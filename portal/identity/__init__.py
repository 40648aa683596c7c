"""Who is calling: operators and authorities, their API keys (and, later, people and sessions)."""
