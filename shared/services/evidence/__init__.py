"""A provider's evidence: documents and verification, where each type stands, expiry, staff list and KCSIE, and the
flags on weak staff checks with the AP lead's decisions on them (staff_flags)."""
