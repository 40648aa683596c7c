"""The operator's own registers: drivers and vehicles."""
