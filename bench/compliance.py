"""The AP lead's pages of issue 6 at local-authority scale, on PostgreSQL: provider compliance, the "needs your
attention" home page and the governors' report PDF.

Uses bench/attendance.py's databases (`bench_attendance` and `bench_attendance_tenth`, seeded once a run by whichever
of the two benchmarks comes first): one school year of marks, and for every school its agreements, incidents,
reviews, visits, evidence, written confirmations and breaches, with three terms and their half-term holidays. Time
is frozen (ticking) at the seed's "now" (bench.attendance.NOW, Wednesday 4 March 2026 at 12:30), so "this half-term"
is Spring 2026's second half. In-process through the Flask test client, signed in as a new AP lead of school 1 (30
providers, 100 placed pupils, the same school at both scales):

- `compliance_page_p95_ms`: p95 server time of GET /school/compliance (every approved provider, this half-term) at
  full scale, over 6 rounds alternating with the tenth scale's (target < 300), and `compliance_page_scale_ratio`,
  that p95 over the tenth scale's (target <= 1.5);
- `compliance_page_queries`: SQL statements one request to it runs, session check included (target <= 20);
- `compliance_provider_page_p95_ms` and `_queries`: GET /school/compliance/providers/<id> (one provider, its
  placements and its trend over the half-terms) at full scale;
- `ap_lead_tasks_p95_ms` and `ap_lead_tasks_queries`: the AP lead's home page GET /school/ at full scale;
- `attention_lists_worst_p95_ms` and `_queries`: the slowest of the other roles' home pages (DSL, attendance lead,
  SENDCO, headteacher) and the AP lead's, and the most queries any of them runs (targets < 300 and <= 20);
- `governors_report_pdf_s`: p95 seconds of GET /school/reports/governors.pdf for the whole school year of the data
  (1 September 2025 to 22 July 2026) at full scale (target: a second; a report downloaded a few times a term).

`python -m bench.compliance` runs it alone (BENCH_ATTENDANCE_DATABASE_URL picks other databases, as for
bench/attendance.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from freezegun import freeze_time

from bench import attendance
from bench.attendance import NOW, YEAR_END, YEAR_START, _count_queries, _p95, _signed_in_client
from bench.errors import BenchError
from bench.metrics import Metric
from bench.targets import at_most

ROUNDS = 6  # alternating tenth / full, for the compliance page
REQUESTS_PER_ROUND = 40
WARM_UP = 5
PAGE_REQUESTS = 100  # the provider page and the home page, at full scale
PDF_REQUESTS = 20
OTHER_ROLES = ("dsl", "attendance_lead", "sendco", "headteacher")  # the AP lead's list is measured above
ROLE_REQUESTS = 50
PDF_WARM_UP = 2
TARGET_P95_MS = 300
TARGET_RATIO = 1.5
TARGET_QUERIES = 20
TARGET_PDF_SECONDS = 1.0  # a report downloaded a few times a term, for a whole school year: a second is fine
COMPLIANCE_PATH = "/school/compliance"
HOME_PATH = "/school/"
PDF_PATH = f"/school/reports/governors.pdf?from={YEAR_START.isoformat()}&to={YEAR_END.isoformat()}"
PROVIDER_NAME = "Bench Provider 1-1"  # school 1's first provider, at both scales


def run(workspace) -> list[Metric]:
    return measure(workspace.dir)


def measure(workdir: Path) -> list[Metric]:
    apps = attendance.prepare(workdir)
    # Ticking, so the timings are real; sign-in inside it, so the session and the security code share its clock.
    with freeze_time(NOW, tick=True):
        clients = {scale: (app, _signed_in_client(app, role="ap_lead")) for scale, app in apps.items()}
        times: dict[str, list[float]] = {"tenth": [], "full": []}
        for round_number in range(ROUNDS):
            order = ("tenth", "full") if round_number % 2 == 0 else ("full", "tenth")
            for scale in order:
                times[scale].extend(_timed(clients[scale][1], COMPLIANCE_PATH, WARM_UP, REQUESTS_PER_ROUND, _html))
        app, client = clients["full"]
        provider_path = f"/school/compliance/providers/{_provider_id(app)}"
        provider_times = _timed(client, provider_path, WARM_UP, PAGE_REQUESTS, _html)
        home_times = _timed(client, HOME_PATH, WARM_UP, PAGE_REQUESTS, _tasks)
        pdf_times = _timed(client, PDF_PATH, PDF_WARM_UP, PDF_REQUESTS, _pdf)
        queries = {path: _count_queries(app, client, path) for path in (COMPLIANCE_PATH, provider_path, HOME_PATH)}
        pdf_queries = _count_queries(app, client, PDF_PATH)
        # Every other role's "needs your attention" list, at full scale.
        lists = {"ap_lead": (_p95(home_times), queries[HOME_PATH])}
        for role in OTHER_ROLES:
            other = _signed_in_client(app, role=role)
            lists[role] = (
                _p95(_timed(other, HOME_PATH, WARM_UP, ROLE_REQUESTS, _home)),
                _count_queries(app, other, HOME_PATH),
            )
    full_p95, tenth_p95 = _p95(times["full"]), _p95(times["tenth"])
    provider_p95, home_p95, pdf_p95 = _p95(provider_times), _p95(home_times), _p95(pdf_times) / 1000
    print(
        f"  compliance p95 {full_p95:.1f} ms at full scale, {tenth_p95:.1f} ms at a tenth, "
        f"{queries[COMPLIANCE_PATH]} queries; one provider p95 {provider_p95:.1f} ms ({queries[provider_path]} "
        f"queries); AP lead's tasks p95 {home_p95:.1f} ms ({queries[HOME_PATH]} queries); governors' PDF p95 "
        f"{pdf_p95:.2f} s ({pdf_queries} queries)",
        flush=True,
    )
    print("  needs your attention, p95 ms (queries): " + ", ".join(f"{r} {t:.1f} ({q})" for r, (t, q) in lists.items()))
    worst_time = max(t for t, _ in lists.values())
    worst_queries = max(q for _, q in lists.values())
    return [
        at_most("compliance_page_p95_ms", round(full_p95, 1), "ms", TARGET_P95_MS),
        at_most("compliance_page_scale_ratio", round(full_p95 / tenth_p95, 2), "ratio", TARGET_RATIO),
        at_most("compliance_page_queries", queries[COMPLIANCE_PATH], "queries", TARGET_QUERIES),
        Metric.informational("compliance_page_tenth_scale_p95_ms", round(tenth_p95, 1), "ms"),
        at_most("compliance_provider_page_p95_ms", round(provider_p95, 1), "ms", TARGET_P95_MS),
        at_most("compliance_provider_page_queries", queries[provider_path], "queries", TARGET_QUERIES),
        at_most("ap_lead_tasks_p95_ms", round(home_p95, 1), "ms", TARGET_P95_MS),
        at_most("ap_lead_tasks_queries", queries[HOME_PATH], "queries", TARGET_QUERIES),
        at_most("attention_lists_worst_p95_ms", round(worst_time, 1), "ms", TARGET_P95_MS),
        at_most("attention_lists_worst_queries", worst_queries, "queries", TARGET_QUERIES),
        at_most("governors_report_pdf_s", round(pdf_p95, 3), "s", TARGET_PDF_SECONDS),
        Metric.informational("governors_report_pdf_queries", pdf_queries, "queries"),
    ]


def _provider_id(app):
    from sqlalchemy import select

    from shared.extensions import db
    from shared.models import Organisation

    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == PROVIDER_NAME))


# What each page must show, so a page that fails fast (an error page, a sign-in redirect) is never timed.


def _html(response) -> bool:
    return response.status_code == 200 and PROVIDER_NAME.encode() in response.data


def _tasks(response) -> bool:
    return response.status_code == 200 and b"placement reviews are overdue" in response.data


def _home(response) -> bool:
    return response.status_code == 200 and b"Needs your attention" in response.data


def _pdf(response) -> bool:
    return response.status_code == 200 and response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"


def _timed(client, path: str, warm_up: int, requests: int, shows) -> list[float]:
    """Server times in ms of `requests` requests to the path, after `warm_up` unmeasured ones."""
    times = []
    for n in range(warm_up + requests):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        if not shows(response):
            detail = body[:300].decode("utf-8", "replace") if response.mimetype != "application/pdf" else ""
            raise BenchError(f"GET {path} did not give the expected page (HTTP {response.status_code}) {detail}")
        if n >= warm_up:
            times.append(elapsed)
    return times


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ap-portal-bench-compliance-") as directory:
        try:
            for metric in measure(Path(directory)):
                print(f"{metric.name}: {metric.value:g} {metric.unit} (target {metric.target}, ok {metric.ok})")
        except BenchError as exc:
            print(f"bench: could not run: {exc}", file=sys.stderr)
            sys.exit(1)
