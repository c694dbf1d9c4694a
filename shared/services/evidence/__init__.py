"""A provider's evidence: documents and verification, where each type stands, expiry, staff list and KCSIE."""
