"""A provider's way to approval: onboarding details and the AP lead's decision."""
