"""The pages that see across schools, at local-authority scale, on PostgreSQL: a provider's register with pupils
from five schools, and the local authority's placements and providers' directory.

Uses bench/attendance.py's databases (`bench_attendance` and `bench_attendance_tenth`, seeded once a run by whichever
benchmark comes first): at full scale 30 schools, all in one local authority (Bench Borough Council), 300 providers
each working with the three schools of its group, 3,000 placements and a school year of marks (about 1.1 million);
at a tenth, the first three schools, their 30 providers and 300 placements. Time is frozen (ticking) at the seed's
"now" (bench.attendance.NOW, Wednesday 4 March 2026 at 12:30). In-process through the Flask test client, signed in
(password and security code) as a new member of the organisation. The register and the LA's placements are kept
pages (shared/kept_pages.py): these timings and queries are of the page drawn (its kept copy let go before each
request), and `_kept_p95_ms` and `_kept_queries` of it given again while nothing it shows has changed:

- `provider_register_page_p95_ms`: p95 server time of the provider's register for the day (GET /portal/attendance)
  as the manager of bench.attendance.FIVE_SCHOOL_PROVIDER, whose pupils come from five schools at full scale (three
  at a tenth), over 6 rounds alternating with the tenth scale's (target < 300), with its queries and, for context,
  the tenth scale's p95 and the ratio;
- `la_placements_page_p95_ms` and `la_directory_page_p95_ms`: the same for the LA officer's placements
  (GET /la/placements, every placement of the LA's schools) and directory of providers (GET /la/directory), each
  with `_queries` (target <= 20) and `_scale_ratio`, the full scale's p95 over the tenth's (target <= 1.5: ten
  times the schools, placements and providers should not cost the page more than half as much again).

A page whose route is not there yet (endpoints local_authority.placements and local_authority.directory) is said to
be so and not measured. A page over its time or query target has its profile's top entries and its queries printed.

Then, as `signed_in_page_ratio_vs_hello` is measured (bench/hello_ratio.py: gunicorn with 2 workers, the same hello
app, ABBA rounds, the lowest of three runs), on the full-scale database served by gunicorn on the real clock and
signed in over HTTP (password and security code) as a new member:

- `provider_register_ratio_vs_hello`: the register of FIVE_SCHOOL_PROVIDER's manager for the seed's day
  (GET /portal/attendance?day=2026-03-04: the same rows as "today" under the frozen clock), target >= 0.25;
- `la_placements_ratio_vs_hello`: the LA officer's placements (GET /la/placements), target >= 0.25;

each with `_rps`, the median of its lowest run, for context. The same page is asked for over and over with nothing
changing, so these measure the page given from its kept copy: what most requests for it cost (a register is read
many times between saves); the cost of drawing it is the in-process figures above.

`python -m bench.run local_authority` (or `python -m bench.local_authority`) runs it alone
(BENCH_ATTENDANCE_DATABASE_URL picks other databases, as for bench/attendance.py).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import event

from bench import attendance, hello_ratio
from bench.attendance import DAY, FIVE_SCHOOL_PROVIDER, LA_NAME, NOW, _p95, _signed_in_client
from bench.browser import sign_in
from bench.errors import BenchError
from bench.load import Target
from bench.metrics import Metric
from bench.targets import at_most

ROUNDS = 6  # alternating tenth / full
REQUESTS_PER_ROUND = 25
MIN_REQUESTS_PER_ROUND = 5
ROUND_BUDGET_MS = 3000  # fewer requests a round for a slow page, so the benchmark stays within a few minutes
WARM_UP = 5
TARGET_P95_MS = 300
TARGET_RATIO = 1.5
TARGET_QUERIES = 20
TARGET_RATIO_VS_HELLO = 0.25  # requests/s under gunicorn against the bare hello app's, as signed_in_page's
PROFILE_REQUESTS = 5
PROFILE_ENTRIES = 15
ROOT = Path(__file__).resolve().parent.parent
OWN_CODE = r"/(shared|portal|school_admin|local_authority)/"  # the profile's entries of the app's own code

REGISTER_PATH = "/portal/attendance"  # today, under the frozen clock: the seed's DAY


def _shows_register(response) -> bool:
    return response.status_code == 200 and b"Pupil" in response.data


def _shows_placements(response) -> bool:
    return response.status_code == 200 and b"Bench School" in response.data


def _shows_directory(response) -> bool:
    # Its first page, by name: the providers waiting for a school's approval ("Bench Applicant N") come first.
    return response.status_code == 200 and (b"Bench Applicant" in response.data or b"Bench Provider" in response.data)


# name, endpoint, path, what the page must show (so an error page or a redirect is never timed)
LA_PAGES: tuple[tuple[str, str, str, Callable], ...] = (
    ("la_placements_page", "local_authority.placements", "/la/placements", _shows_placements),
    ("la_directory_page", "local_authority.directory", "/la/directory", _shows_directory),
)


def run(workspace) -> list[Metric]:
    return measure(workspace.dir) + ratios_vs_hello(workspace)


# name, role, organisation, the side's home (where sign-in lands), path, what every answer must show, endpoint.
# Under gunicorn the app runs on the real clock, so the register is asked for the seed's day: the same rows as the
# in-process "today" under the frozen clock.
HELLO_RATIO_PAGES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "provider_register",
        "provider_manager",
        FIVE_SCHOOL_PROVIDER,
        "/portal/",
        f"{REGISTER_PATH}?day={DAY.isoformat()}",
        "Pupil",
        "portal.attendance_today",
    ),
    ("la_placements", "la_officer", LA_NAME, "/la/", "/la/placements", "Bench School", "local_authority.placements"),
)


def ratios_vs_hello(workspace) -> list[Metric]:
    """`provider_register_ratio_vs_hello` and `la_placements_ratio_vs_hello`: each page at full scale, served by
    gunicorn on the seeded database and signed in over HTTP as a new member (provider manager of
    FIVE_SCHOOL_PROVIDER, LA officer), against the run's hello app, as bench/hello_ratio.py measures (lowest of
    three runs)."""
    app = attendance.prepare(workspace.dir)["full"]
    server = workspace.serve(
        "la-scale",
        "wsgi:app",
        ready_path="/healthz",
        env={"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": attendance.SECRET_KEY},
    )
    hello = hello_ratio.hello_target(workspace)
    metrics: list[Metric] = []
    for name, role, organisation, home, path, marker, endpoint in HELLO_RATIO_PAGES:
        if endpoint not in app.view_functions:
            print(f"  {name}: {path} is not there yet (no endpoint {endpoint}), not measured", flush=True)
            continue
        email, secret = attendance.new_member(app, role, organisation)
        cookie = sign_in(
            server.port,
            email=email,
            password=attendance.PASSWORD,
            totp_secret=secret,
            home=home,
            marker=marker,
            page=path,
        )
        page = Target(server.port, path, marker.encode(), {"Cookie": cookie})
        metrics += hello_ratio.measure(name, page, hello).metrics(name, TARGET_RATIO_VS_HELLO)
    return metrics


def measure(workdir: Path) -> list[Metric]:
    apps = attendance.prepare(workdir)
    metrics: list[Metric] = []
    # Ticking, so the timings are real; sign-in inside it, so the session and the security code share its clock.
    with freeze_time(NOW, tick=True):
        clients = {
            scale: (app, _signed_in_client(app, role="provider_manager", organisation=FIVE_SCHOOL_PROVIDER))
            for scale, app in apps.items()
        }
        schools = _schools_on_register(clients["full"][1])
        print(f"  {FIVE_SCHOOL_PROVIDER}'s register shows pupils of {schools} schools at full scale", flush=True)
        metrics += _page("provider_register_page", REGISTER_PATH, _shows_register, clients, query_target=None)
        metrics.append(Metric.informational("provider_register_page_schools", schools, "schools"))
        la_clients = None
        for name, endpoint, path, shows in LA_PAGES:
            if not all(endpoint in app.view_functions for app in apps.values()):
                print(f"  {name}: {path} is not there yet (no endpoint {endpoint}), not measured", flush=True)
                continue
            if la_clients is None:
                la_clients = {
                    scale: (app, _signed_in_client(app, role="la_officer", organisation=LA_NAME))
                    for scale, app in apps.items()
                }
            metrics += _page(name, path, shows, la_clients, query_target=TARGET_QUERIES, ratio_target=TARGET_RATIO)
    return metrics


def _page(
    name: str,
    path: str,
    shows: Callable,
    clients: dict,
    *,
    query_target: int | None,
    ratio_target: float | None = None,
) -> list[Metric]:
    """The page's p95 at full scale, over ROUNDS rounds alternating with the tenth scale's, its queries at full
    scale, the tenth scale's p95 and the ratio of the two; with the profile and the queries if it misses a target."""
    app, client = clients["full"]
    warm = _timed(client, path, WARM_UP, 1, shows, app=app)[0]
    requests = max(MIN_REQUESTS_PER_ROUND, min(REQUESTS_PER_ROUND, int(ROUND_BUDGET_MS / max(warm, 1))))
    times: dict[str, list[float]] = {"tenth": [], "full": []}
    for round_number in range(ROUNDS):
        order = ("tenth", "full") if round_number % 2 == 0 else ("full", "tenth")
        for scale in order:
            times[scale].extend(_timed(clients[scale][1], path, 1, requests, shows, app=clients[scale][0]))
    full_p95, tenth_p95 = _p95(times["full"]), _p95(times["tenth"])
    statements = statements_of(app, client, path)
    ratio = full_p95 / tenth_p95
    # The same page given again while nothing it shows has changed (shared/kept_pages.py; a page that is not kept
    # is drawn every time): what most requests cost.
    kept = _timed(client, path, 1, requests * 2, shows)
    kept_p95 = _p95(kept)
    kept_statements = len(statements_of(app, client, path, kept=True))
    print(
        f"  {name} ({path}): drawn, p95 {full_p95:.1f} ms at full scale, {tenth_p95:.1f} ms at a tenth (ratio "
        f"{ratio:.2f}), {len(statements)} queries; {ROUNDS} rounds of {requests} requests; given again, p95 "
        f"{kept_p95:.1f} ms, {kept_statements} queries",
        flush=True,
    )
    too_slow = full_p95 > TARGET_P95_MS or (ratio_target is not None and ratio > ratio_target)
    too_many = len(statements) > (query_target or TARGET_QUERIES)
    if too_slow or too_many:
        _print_profile(app, client, path)
    if too_many:
        _print_statements(statements)
    metrics = [
        at_most(f"{name}_p95_ms", round(full_p95, 1), "ms", TARGET_P95_MS),
        at_most(f"{name}_queries", len(statements), "queries", query_target)
        if query_target is not None
        else Metric.informational(f"{name}_queries", len(statements), "queries"),
        at_most(f"{name}_scale_ratio", round(ratio, 2), "ratio", ratio_target)
        if ratio_target is not None
        else Metric.informational(f"{name}_scale_ratio", round(ratio, 2), "ratio"),
        Metric.informational(f"{name}_tenth_scale_p95_ms", round(tenth_p95, 1), "ms"),
        Metric.informational(f"{name}_kept_p95_ms", round(kept_p95, 1), "ms"),
        Metric.informational(f"{name}_kept_queries", kept_statements, "queries"),
    ]
    return metrics


def _timed(client, path: str, warm_up: int, requests: int, shows, *, app=None) -> list[float]:
    """Server times in ms of `requests` requests to the path, after `warm_up` unmeasured ones; with `app`, each
    drawn, not given from a kept copy (the copies are let go before each)."""
    times = []
    for n in range(warm_up + requests):
        if app is not None:
            app.extensions["kept_pages"].clear()
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        if not shows(response):
            detail = body[:300].decode("utf-8", "replace")
            raise BenchError(f"GET {path} did not give the expected page (HTTP {response.status_code}) {detail}")
        if n >= warm_up:
            times.append(elapsed)
    return times


def _schools_on_register(client) -> int:
    """How many schools the register's pupils come from (the bench's pupils are called "PupilK SchoolN")."""
    page = client.get(REGISTER_PATH).get_data(as_text=True)
    return len(set(re.findall(r"Pupil\d+ School(\d+)", page)))


def statements_of(app, client, path: str, *, kept: bool = False) -> list[str]:
    """The SQL statements one request to the page runs, the session check included: drawn, or with `kept` given
    from its kept copy if it has one."""
    from shared.extensions import db

    if kept:
        client.get(path)
    else:
        app.extensions["kept_pages"].clear()

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def _print_profile(app, client, path: str) -> None:
    """The top entries, by cumulative time, of PROFILE_REQUESTS requests to the page, each drawn."""
    kept = app.extensions["kept_pages"]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILE_REQUESTS):
        kept.clear()
        client.get(path)
    profile.disable()
    for title, sort, restriction in (
        ("the app's own functions, by cumulative time", "cumulative", OWN_CODE),
        ("every function, by time in itself", "tottime", ""),
    ):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(sort).print_stats(restriction, PROFILE_ENTRIES)
        lines = out.getvalue().splitlines()
        table = lines[next(i for i, line in enumerate(lines) if "ncalls" in line) :]
        print(f"  profile of {PROFILE_REQUESTS} requests to {path}: {title}")
        print("\n".join("    " + line.replace(str(ROOT), ".") for line in table if line.strip()))


def _print_statements(statements: list[str]) -> None:
    """The queries of one request, the same statement counted once with how often it ran."""
    print(f"  its {len(statements)} queries, by how often each ran:")
    for statement, count in Counter(" ".join(s.split())[:140] for s in statements).most_common():
        print(f"    {count:4d} x {statement}")


if __name__ == "__main__":
    from bench.workspace import Workspace

    with Workspace() as workspace:
        try:
            for metric in run(workspace):
                print(f"{metric.name}: {metric.value:g} {metric.unit} (target {metric.target}, ok {metric.ok})")
        except BenchError as exc:
            print(f"bench: could not run: {exc}", file=sys.stderr)
            sys.exit(1)
