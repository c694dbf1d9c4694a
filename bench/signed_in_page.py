"""signed_in_page_ratio_vs_hello: how the signed-in school home page compares with a bare Flask app.

Both are served by gunicorn with 2 workers on this machine and loaded by the same client, alternately (ABBA order,
so a drift in the machine's load affects both), and the medians are compared. The ratio, unlike the absolute
figures, means much the same on a laptop and on a shared CI runner.
"""

from __future__ import annotations

import os
import statistics

from bench.browser import sign_in
from bench.load import Target, requests_per_second
from bench.metrics import Metric
from bench.workspace import Workspace
from shared.config import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

TARGET_RATIO = 0.30
ROUNDS = 5
ROUND_SECONDS = 3.0
WARM_UP_SECONDS = 2.0
CONNECTIONS = 8
HOME = "/school/"
MARKER = "Needs your attention"
DEMO_EMAIL = "headteacher@demo-academy.example"


def run(workspace: Workspace) -> list[Metric]:
    workspace.database()
    app = workspace.serve("app", "wsgi:app", ready_path="/healthz")
    hello = workspace.serve("hello", "bench.hello:app", ready_path="/")
    cookie = sign_in(
        app.port,
        email=DEMO_EMAIL,
        password=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),  # what seed-demo used
        totp_secret=os.environ.get("DEMO_TOTP_SECRET", DEFAULT_DEMO_TOTP_SECRET),
        home=HOME,
        marker=MARKER,
    )
    targets = {
        "hello": Target(hello.port, "/", b"hello"),
        "app": Target(app.port, HOME, MARKER.encode(), {"Cookie": cookie}),
    }
    medians = _measure_alternately(targets)
    ratio = medians["app"] / medians["hello"]
    return [
        Metric.at_least("signed_in_page_ratio_vs_hello", round(ratio, 3), "ratio", TARGET_RATIO),
        Metric.informational("signed_in_page_rps", round(medians["app"], 1), "requests/s"),
        Metric.informational("hello_rps", round(medians["hello"], 1), "requests/s"),
    ]


def _measure_alternately(targets: dict[str, Target]) -> dict[str, float]:
    """Warm both up, then ROUNDS rounds of each in ABBA order; the median of each, in requests per second."""
    for target in targets.values():
        requests_per_second(target, seconds=WARM_UP_SECONDS, connections=CONNECTIONS)
    figures: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(ROUNDS):
        order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
        for name in order:
            figures[name].append(requests_per_second(targets[name], seconds=ROUND_SECONDS, connections=CONNECTIONS))
        shown = ", ".join(f"{name} {figures[name][-1]:7.1f}/s" for name in targets)
        print(f"  round {round_number + 1}/{ROUNDS}: {shown}", flush=True)
    return {name: statistics.median(values) for name, values in figures.items()}
