"""The one error a service raises when a rule is broken: a plain-English message and, where it belongs to one,
the form field it is about. Views turn it into a message next to that field (shared.web.apply).

A service that checks many things reports them all at once: it collects them in `Problems` and raises
`RulesBroken` (itself a RuleBroken, so callers that catch one still catch it), whose `problems` are every
RuleBroken found, in the order they were checked (its message is the first one's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class RuleBroken(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    @property
    def problems(self) -> list[RuleBroken]:
        """Every rule broken: this one alone (RulesBroken has several)."""
        return [self]


class RulesBroken(RuleBroken):
    """Several rules broken at once: every one of them in `problems`."""

    def __init__(self, problems: list[RuleBroken]):
        first = problems[0]
        super().__init__(str(first), first.field)
        self._problems = list(problems)

    @property
    def problems(self) -> list[RuleBroken]:
        return list(self._problems)


class Problems:
    """Collects every broken rule of one check, so the person sees them all together:

    found = Problems()
    found.add("Enter the town or city", "town")
    postcode = found.attempt(lambda: normalise_postcode(raw))   # None if it raised
    found.raise_any()
    """

    def __init__(self) -> None:
        self.found: list[RuleBroken] = []

    def add(self, message: str, field: str | None = None) -> None:
        self.found.append(RuleBroken(message, field))

    def attempt(self, check: Callable[[], T]) -> T | None:
        """The check's value, or None after noting every rule it broke."""
        try:
            return check()
        except RuleBroken as exc:
            self.found.extend(exc.problems)
            return None

    def has(self, field: str) -> bool:
        return any(problem.field == field for problem in self.found)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise RulesBroken(self.found)
