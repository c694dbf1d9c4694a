"""Metrics with a ceiling, beside Metric.at_least: a figure that should stay at or under its target."""

from __future__ import annotations

from bench.metrics import Metric


def at_most(name: str, value: float, unit: str, maximum: float) -> Metric:
    """Going over `maximum` is reported (ok false), not raised, like a missed Metric.at_least."""
    return Metric(name, value, unit, f"≤ {maximum:g}", value <= maximum)
