"""attendance_api_marks_per_s and attendance_api_ratio_vs_insert: bulk marks through the JSON API, against the floor.

In this process, on the run's database (PostgreSQL, or the SQLite fallback, as bench/database.py says): a provider of
its own ("API bench provider", approved) with 2 x PLACEMENTS placements timetabled every weekday, in a term of past
school days, and an API token. Then ROUNDS rounds, alternately (ABBA), of:

- the API: MARKS marks (PLACEMENTS placements x MARKS / PLACEMENTS sessions, all past days, so each is recorded as
  submitted late) posted to POST /api/v1/marks in batches of BATCH through Flask's test client, i.e. the whole
  request: token check, rate limit, parsing, every rule of
  shared.services.attendance.marks.apply_mark, audit, one commit;
- the floor: the same number of plain AttendanceMark rows added through the SQLAlchemy session, committed every
  BATCH rows, for the other half of the placements.

Each round's marks are deleted (with their audit events) before the next. The medians are compared: the ratio is
the API's rate divided by the floor's. Target >= 0.25.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from sqlalchemy import delete, select

from bench.metrics import Metric
from bench.workspace import Workspace

MARKS = 2000
BATCH = 200
PLACEMENTS = 40
ROUNDS = 4  # alternately API then floor, floor then API; a round takes about a second
TARGET_RATIO = 0.25
TERM_START = date(2025, 1, 6)  # a Monday; 2025's January and February have no bank holiday after New Year's Day
TERM_END = date(2025, 2, 14)


def run(workspace: Workspace) -> list[Metric]:
    database = workspace.database()
    app = _app(workspace, database.url)
    with app.app_context():
        provider_id, token, api_placements, plain_placements = _seed()
        sessions = _sessions(len(api_placements))
    client = app.test_client()
    api_rates: list[float] = []
    insert_rates: list[float] = []
    for round_number in range(ROUNDS):
        pair = [
            (api_rates, lambda: _time_api(client, token, api_placements, sessions)),
            (insert_rates, lambda: _time_inserts(app, plain_placements, sessions)),
        ]
        for figures, measure in pair if round_number % 2 == 0 else reversed(pair):
            figures.append(MARKS / measure())
        with app.app_context():
            _clear(provider_id)
        print(f"  round {round_number + 1}/{ROUNDS}: api {api_rates[-1]:7.0f}/s, insert {insert_rates[-1]:7.0f}/s")
    api_rate = statistics.median(api_rates)
    insert_rate = statistics.median(insert_rates)
    return [
        Metric.at_least("attendance_api_ratio_vs_insert", round(api_rate / insert_rate, 3), "ratio", TARGET_RATIO),
        Metric.informational("attendance_api_marks_per_s", round(api_rate, 1), "marks/s"),
        Metric.informational("attendance_plain_insert_marks_per_s", round(insert_rate, 1), "marks/s"),
    ]


def _app(workspace: Workspace, database_url: str):
    from shared.app import create_app

    return create_app(
        {
            "APP_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": workspace.env()["SECRET_KEY"],
            "MAIL_BACKEND": "console",
            "MAIL_FOLDER": str(workspace.dir / "mail"),
            "UPLOAD_FOLDER": str(workspace.dir / "uploads"),
            "LOG_LEVEL": "WARNING",
            "API_RATE_LIMIT": "100000 per minute",  # the limit is not what is measured
        }
    )


def _seed() -> tuple:
    from shared.extensions import db
    from shared.models import (
        HeadteacherDecision,
        Organisation,
        OrganisationKind,
        Placement,
        PlacementStatus,
        ProviderProfile,
        ProviderStatus,
        Pupil,
        SchoolProvider,
        SchoolTerm,
    )
    from shared.models.pupil import TIMETABLE_SLOTS
    from shared.services.accounts import api_tokens
    from shared.services.accounts import people as accounts
    from shared.upn import make_upn

    school = Organisation(kind=OrganisationKind.SCHOOL, name="API bench school")
    provider = Organisation(kind=OrganisationKind.PROVIDER, name="API bench provider")
    db.session.add_all([school, provider])
    db.session.flush()
    db.session.add(ProviderProfile(organisation=provider))
    db.session.add(SchoolProvider(school_id=school.id, provider=provider, status=ProviderStatus.APPROVED))
    db.session.add(SchoolTerm(school_id=school.id, name="Spring 2025", start_date=TERM_START, end_date=TERM_END))
    placements = []
    for serial in range(2 * PLACEMENTS):
        pupil = Pupil(
            school_id=school.id,
            upn=make_upn(establishment=4321, serial=serial),
            first_name="Bench",
            last_name=f"Pupil {serial:03d}",
            date_of_birth=date(2011, 1, 1),
            year_group="10",
        )
        placement = Placement(
            school_id=school.id,
            provider_id=provider.id,
            pupil=pupil,
            start_date=TERM_START,
            status=PlacementStatus.ACTIVE,
            legal_basis="school_arranged",
            timetable=list(TIMETABLE_SLOTS),
            headteacher_decision=HeadteacherDecision.AGREED,
        )
        db.session.add(placement)
        placements.append(placement)
    manager = accounts.create_user(
        provider, email="manager@api-bench.example", name="Bench manager", roles=["provider_manager"]
    )
    db.session.flush()
    ids = [p.id for p in placements]
    token = api_tokens.create(provider, name="Bench", by=manager).token  # commits
    return provider.id, token, ids[:PLACEMENTS], ids[PLACEMENTS:]


def _sessions(placement_count: int) -> list[tuple[date, str]]:
    """The first MARKS / placement_count school sessions of the term (weekdays; no bank holidays in it)."""
    wanted = MARKS // placement_count
    out: list[tuple[date, str]] = []
    day = TERM_START
    while len(out) < wanted:
        if day.weekday() < 5 and day != date(2025, 1, 1):
            out.extend([(day, "AM"), (day, "PM")])
        day += timedelta(days=1)
    return out[:wanted]


def _items(placements: list, sessions: list) -> list[dict]:
    return [
        {"placement_id": str(p), "date": day.isoformat(), "session": session, "mark": "present"}
        for p in placements
        for day, session in sessions
    ]


def _time_api(client, token: str, placements: list, sessions: list) -> float:
    from bench.errors import BenchError

    items = _items(placements, sessions)
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for start in range(0, len(items), BATCH):
        response = client.post("/api/v1/marks", json={"marks": items[start : start + BATCH]}, headers=headers)
        if response.status_code != 200:
            raise BenchError(f"POST /api/v1/marks answered {response.status_code}: {response.get_data(as_text=True)}")
    return time.perf_counter() - started


def _time_inserts(app, placements: list, sessions: list) -> float:
    from shared.extensions import db
    from shared.models import AttendanceMark, Placement

    with app.app_context():
        known = {p.id: p for p in db.session.scalars(select(Placement).where(Placement.id.in_(placements)))}
        rows = [(known[p], day, session) for p in placements for day, session in sessions]
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            db.session.add_all(
                [
                    AttendanceMark(
                        placement_id=placement.id,
                        school_id=placement.school_id,
                        provider_id=placement.provider_id,
                        pupil_id=placement.pupil_id,
                        day=day,
                        session=session,
                        kind="present",
                        code="B",
                        submitted_late=True,
                        source="api",
                    )
                    for placement, day, session in rows[start : start + BATCH]
                ]
            )
            db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds


def _clear(provider_id) -> None:
    """This benchmark's marks and their audit events only: other benchmarks share the database."""
    from shared.extensions import db
    from shared.models import AttendanceMark, AuditEvent

    db.session.execute(
        delete(AuditEvent).where(AuditEvent.action == "attendance.marked", AuditEvent.organisation_id == provider_id)
    )
    db.session.execute(delete(AttendanceMark).where(AttendanceMark.provider_id == provider_id))
    db.session.commit()
