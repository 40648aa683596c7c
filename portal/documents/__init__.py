"""The declaration document: one A4 page per declaration version and language, with a QR code."""
