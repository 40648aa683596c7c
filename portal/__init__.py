"""The posting-declaration portal."""
