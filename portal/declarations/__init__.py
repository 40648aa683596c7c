"""Posting declarations: filing, the rules, the lifecycle and the event log."""
