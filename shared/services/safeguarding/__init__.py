"""The DSLs' exchange: concerns, notices, the chronology, who opened what, policies, key rotation."""
