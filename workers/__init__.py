"""Background work: arq jobs that carry ids only, never personal data."""
