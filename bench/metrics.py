"""One figure of a benchmark run, as it appears in bench/results.json and in the printed table."""

from __future__ import annotations

from dataclasses import dataclass

INFORMATIONAL = "—"  # the target of a figure given only for context


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    unit: str
    target: str
    ok: bool

    @classmethod
    def at_least(cls, name: str, value: float, unit: str, minimum: float) -> Metric:
        """A figure that should reach `minimum`; missing it is reported (ok false), not raised."""
        return cls(name, value, unit, f"≥ {minimum:.2f}", value >= minimum)

    @classmethod
    def informational(cls, name: str, value: float, unit: str) -> Metric:
        """A figure for context only (absolute speeds depend on the machine, so they have no target)."""
        return cls(name, value, unit, INFORMATIONAL, True)

    def as_json(self) -> dict:
        return {"value": self.value, "unit": self.unit, "target": self.target, "ok": self.ok}
