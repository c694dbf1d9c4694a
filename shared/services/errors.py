"""The one error a service raises when a rule is broken: a plain-English message and, where it belongs to one,
the form field it is about. Views turn it into a message next to that field (shared.web.apply)."""


class RuleBroken(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
