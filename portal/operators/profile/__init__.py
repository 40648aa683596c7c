"""The operator's profile: what its declarations' PDFs print about it, and how drivers get them."""
