"""Service level agreements: the terms (a provider's or a placement's own), compliance with them, breaches."""
