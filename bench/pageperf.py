"""CPU per request and SQL statements of the provider's register (GET /portal/attendance) and the LA's placements
(GET /la/placements), in-process through the Flask test client: a tool for making those pages cheaper, not a
benchmark of the bench run.

    python -m bench.pageperf la [postgresql+psycopg://postgres@127.0.0.1:5432/bench_pageperf] [--profile]
    python -m bench.pageperf demo [--profile]

`la`: bench/attendance.py's full scale (30 schools in one LA, a school year of marks), seeded once into the
PostgreSQL database named (its name must contain "bench"; a database already seeded is kept), under its frozen
clock (bench.attendance.NOW), signed in as a new manager of bench.attendance.FIVE_SCHOOL_PROVIDER and a new LA
officer. `demo`: `flask seed-demo`'s data in a SQLite file of its own (the register only: the demo has no LA).

For each page, drawn (shared/kept_pages.py's copies are let go before each request): CPU ms a request
(time.process_time, the minimum over 5 runs of 20 requests), the SQL statements one request runs, and with --profile
the top entries of a cProfile of 50 requests.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import text
from sqlalchemy.engine import make_url

RUNS, REQUESTS, WARM_UP, PROFILE_REQUESTS = 5, 20, 5, 50


def _measure(app, client, path: str, expect: bytes, profile: bool) -> None:
    from bench.local_authority import statements_of

    kept = app.extensions["kept_pages"]  # let go before each request: this measures drawing the page
    for _ in range(WARM_UP):
        kept.clear()
        response = client.get(path)
        if response.status_code != 200 or expect not in response.data:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}, {expect!r} not shown")
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        for _ in range(REQUESTS):
            kept.clear()
            client.get(path)
        best = min(best, (time.process_time() - started) * 1000 / REQUESTS)
    statements = statements_of(app, client, path)
    print(f"{path}: {best:.2f} ms CPU a request, {len(statements)} statements", flush=True)
    if profile:
        profiler = cProfile.Profile(time.process_time)  # CPU time, not waits on the database
        profiler.enable()
        for _ in range(PROFILE_REQUESTS):
            kept.clear()
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        own = r"/(shared|portal|local_authority)/"
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(own, 30)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


def la(url_text: str, profile: bool) -> None:
    from flask_migrate import upgrade

    from bench import attendance
    from bench.database import _create_if_missing, _reset_schema
    from shared.extensions import db

    url = make_url(url_text)
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        raise SystemExit("a PostgreSQL database whose name contains 'bench'")
    workdir = Path(tempfile.mkdtemp(prefix="pageperf-"))
    _create_if_missing(url)
    app = attendance._app(url.render_as_string(hide_password=False), workdir)
    with app.app_context():
        try:
            seeded = db.session.scalar(
                text("SELECT count(*) FROM organisations WHERE name = :name"), {"name": attendance.LA_NAME}
            )
        except Exception:  # noqa: BLE001 - no tables yet
            db.session.rollback()
            seeded = 0
        if not seeded:
            db.session.remove()
            _reset_schema(url)
            upgrade(revision="heads")
            started = time.monotonic()
            attendance._seed(app, 1, attendance.SCHOOLS_FULL)
            print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        else:
            upgrade(revision="heads")
    with freeze_time(attendance.NOW, tick=True):
        provider = attendance._signed_in_client(
            app, role="provider_manager", organisation=attendance.FIVE_SCHOOL_PROVIDER
        )
        _measure(app, provider, "/portal/attendance", b"Pupil", profile)
        officer = attendance._signed_in_client(app, role="la_officer", organisation=attendance.LA_NAME)
        _measure(app, officer, "/la/placements", b"Bench School", profile)


def demo(profile: bool) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench import attendance
    from shared.demo import seed_demo
    from shared.extensions import db
    from shared.models import Organisation, OrganisationKind, Placement

    workdir = Path(tempfile.mkdtemp(prefix="pageperf-demo-"))
    app = attendance._app(f"sqlite:///{workdir / 'demo.db'}", workdir)
    with app.app_context():
        upgrade(revision="heads")
        seed_demo()
        name = db.session.scalar(
            select(Organisation.name)
            .join(Placement, Placement.provider_id == Organisation.id)
            .where(Organisation.kind == OrganisationKind.PROVIDER)
            .limit(1)
        )
    provider = attendance._signed_in_client(app, role="provider_manager", organisation=name)
    _measure(app, provider, "/portal/attendance", b"Attendance register", profile)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    wants_profile = "--profile" in sys.argv
    if arguments and arguments[0] == "demo":
        demo(wants_profile)
    else:
        la(
            arguments[1] if len(arguments) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pageperf",
            wants_profile,
        )
