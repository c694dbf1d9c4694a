"""People and their access: accounts, roles, invitations, passwords; providers' API tokens."""
