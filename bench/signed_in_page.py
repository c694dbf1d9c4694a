"""signed_in_page_ratio_vs_hello: how the signed-in school home page compares with a bare Flask app.

The demo database's headteacher's home page (GET /school/) and the bare "hello" app, both under gunicorn with 2
workers, loaded alternately; the lowest ratio of three runs (bench/hello_ratio.py has the method). The ratio,
unlike the absolute figures, means much the same on a laptop and on a shared CI runner.
"""

from __future__ import annotations

import os

from bench import hello_ratio
from bench.browser import sign_in
from bench.load import Target
from bench.metrics import Metric
from bench.workspace import Workspace
from shared.config import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

TARGET_RATIO = 0.40
HOME = "/school/"
MARKER = "Needs your attention"
DEMO_EMAIL = "headteacher@demo-academy.example"


def run(workspace: Workspace) -> list[Metric]:
    workspace.database()
    app = workspace.serve("app", "wsgi:app", ready_path="/healthz")
    hello = hello_ratio.hello_target(workspace)
    cookie = sign_in(
        app.port,
        email=DEMO_EMAIL,
        password=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),  # what seed-demo used
        totp_secret=os.environ.get("DEMO_TOTP_SECRET", DEFAULT_DEMO_TOTP_SECRET),
        home=HOME,
        marker=MARKER,
    )
    page = Target(app.port, HOME, MARKER.encode(), {"Cookie": cookie})
    ratio = hello_ratio.measure("signed_in_page", page, hello)
    return [
        *ratio.metrics("signed_in_page", TARGET_RATIO),
        Metric.informational("hello_rps", round(ratio.lowest.hello_rps, 1), "requests/s"),
    ]
