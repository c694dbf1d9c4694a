"""Sign-in, sessions, MFA, throttling and access control, shared by both sides."""
