"""A page's `*_ratio_vs_hello`: its requests per second under gunicorn divided by a bare Flask app's (bench/hello.py).

Both are served by gunicorn with 2 sync workers on this machine and loaded by the same client (bench/load.py, 8
connections), alternately: a warm-up of each, then ROUNDS rounds of ROUND_SECONDS each in ABBA order (so a drift in
the machine's load affects both alike), and the ratio of the two medians. That is done RUNS times in a row and the
lowest ratio is the figure (each run is printed): on a shared machine one lucky run says little, and the lowest of
three is what the page can be counted on for. The ratio, unlike the absolute figures, means much the same on a laptop
and on a shared CI runner.

Used by bench/signed_in_page.py (the school home) and bench/local_authority.py (a provider's register and the LA's
placements at local-authority scale).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.load import Target, requests_per_second
from bench.metrics import Metric
from bench.workspace import Workspace

RUNS = 3
ROUNDS = 5
ROUND_SECONDS = 3.0
WARM_UP_SECONDS = 2.0
CONNECTIONS = 8


@dataclass(frozen=True)
class Run:
    page_rps: float  # medians of the run's rounds
    hello_rps: float

    @property
    def ratio(self) -> float:
        return self.page_rps / self.hello_rps


@dataclass(frozen=True)
class Ratio:
    runs: tuple[Run, ...]

    @property
    def lowest(self) -> Run:
        return min(self.runs, key=lambda run: run.ratio)

    def metrics(self, name: str, target: float) -> list[Metric]:
        """`{name}_ratio_vs_hello` (the lowest run's, at least `target`) and `{name}_rps`, that run's median."""
        lowest = self.lowest
        return [
            Metric.at_least(f"{name}_ratio_vs_hello", round(lowest.ratio, 3), "ratio", target),
            Metric.informational(f"{name}_rps", round(lowest.page_rps, 1), "requests/s"),
        ]


def hello_target(workspace: Workspace) -> Target:
    """The run's hello server (started on first use), as something to load."""
    return Target(workspace.hello().port, "/", b"hello")


def measure(name: str, page: Target, hello: Target, *, runs: int = RUNS) -> Ratio:
    """`runs` runs of ROUNDS alternating rounds, after a warm-up of each; every round and run printed."""
    for target in (page, hello):
        requests_per_second(target, seconds=WARM_UP_SECONDS, connections=CONNECTIONS)
    done: list[Run] = []
    for number in range(1, runs + 1):
        medians = _alternately({name: page, "hello": hello})
        run = Run(page_rps=medians[name], hello_rps=medians["hello"])
        done.append(run)
        print(
            f"  {name} run {number}/{runs}: ratio {run.ratio:.3f} ({run.page_rps:.1f} vs {run.hello_rps:.1f} "
            "requests/s, medians)",
            flush=True,
        )
    result = Ratio(tuple(done))
    shown = ", ".join(f"{run.ratio:.3f}" for run in result.runs)
    print(f"  {name}_ratio_vs_hello: lowest of {shown} = {result.lowest.ratio:.3f}", flush=True)
    return result


def _alternately(targets: dict[str, Target]) -> dict[str, float]:
    """ROUNDS rounds of each in ABBA order; the median of each, in requests per second."""
    figures: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(ROUNDS):
        order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
        for name in order:
            figures[name].append(requests_per_second(targets[name], seconds=ROUND_SECONDS, connections=CONNECTIONS))
        shown = ", ".join(f"{name} {figures[name][-1]:7.1f}/s" for name in targets)
        print(f"    round {round_number + 1}/{ROUNDS}: {shown}", flush=True)
    return {name: statistics.median(values) for name, values in figures.items()}
