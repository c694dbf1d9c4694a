"""The attendance lead's "today" page and the MIS export at local-authority scale, on PostgreSQL.

Seeds, with set-based SQL (INSERT ... SELECT over generate_series, so about a minute), a tenth-scale data set and
the full one, each in a database of its own (`bench_attendance_tenth` and `bench_attendance`, never the tests' or the
app's), then measures both in alternating rounds:

- full: 30 schools, all in one local authority (LA_NAME, with an LA officer), 300 providers, 3,000 placements (100
  a school), one school year (2025-26, three terms with their half-term holidays) of AM/PM marks on its school days,
  about 1.1 million rows, an alert for every unexplained absence with its two e-mails; and, up to DAY, what
  bench/compliance.py measures (SLA_SEED_SQL): agreements, incidents, reviews, visits, evidence, written
  confirmations, breaches, budgets. The schools are in groups of three (1-3, 4-6, ...), each bringing 10 providers;
  a group's schools place their pupils with all 30 of its providers in turn, so each provider works with three
  schools (a relationship, approved, for each) and each school with 30 providers, 3 or 4 pupils with each; and
  FIVE_SCHOOL_PROVIDER also has two pupils each of schools 4 and 5. What is per school (agreements, visits,
  confirmations, breaches) is per school and provider; evidence is the provider's, verified by its first school;
- tenth: the first 3 of those schools (one group: 30 providers, 300 placements, about 115,000 marks).

The measured school is the same in both (school 1, 100 placed pupils with 30 providers), so the ratio shows what the
size of everything else in the tables costs its attendance lead: with the right indexes and a fixed number of
queries, nothing. In-process through the Flask test client, signed in as the school's attendance lead (password and
security code, as a person would):

- `today_page_p95_ms`: p95 server time of GET /school/attendance?day=2026-03-04 at full scale, over 300 requests in
  6 rounds alternating with the tenth scale's (target < 300);
- `today_page_scale_ratio`: that p95 at full scale over the p95 at a tenth (target <= 1.5);
- `today_page_queries`: SQL statements one request to the page runs, session check included (target <= 15);
- `mis_export_week_p95_ms`: p95 time of the whole CSV for one week, every pupil of the school (target <= 1000).

`python -m bench.attendance` runs it alone (BENCH_ATTENDANCE_DATABASE_URL picks another PostgreSQL database whose
name contains "bench").
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
from flask_migrate import upgrade
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench.database import _create_if_missing, _reset_schema
from bench.errors import BenchError
from bench.metrics import Metric
from bench.targets import at_most
from shared.crypto import encrypt_text

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_attendance"
SCHOOLS_FULL = 30
SCHOOLS_TENTH = 3
PROVIDERS_PER_SCHOOL = 10  # each school brings ten providers, each of which works with the three schools of a group
LA_NAME = "Bench Borough Council"  # every school's local authority
FIVE_SCHOOL_PROVIDER = "Bench Provider 1-2"  # at full scale, pupils from schools 1-5 (from 1-3 at a tenth)
PLACEMENTS_PER_SCHOOL = 100
YEAR_START, YEAR_END = date(2025, 9, 1), date(2026, 7, 22)
# The school year's terms, each with its half-term holiday (name, first day, last day, holiday's first and last day):
# marks are seeded on the school days only, and compliance is measured over the half-terms these make.
TERMS = (
    ("Autumn 2025", date(2025, 9, 1), date(2025, 12, 19), date(2025, 10, 27), date(2025, 10, 31)),
    ("Spring 2026", date(2026, 1, 5), date(2026, 3, 27), date(2026, 2, 16), date(2026, 2, 20)),
    ("Summer 2026", date(2026, 4, 13), date(2026, 7, 22), date(2026, 5, 25), date(2026, 5, 29)),
)
DAY = date(2026, 3, 4)  # a Wednesday in term: the "today" that is measured
NOW = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)  # that day after the morning marks were due (GMT: school time too)
WEEK = (date(2026, 3, 2), date(2026, 3, 6))
ROUNDS = 6  # alternating tenth / full
REQUESTS_PER_ROUND = 50
WARM_UP = 5
EXPORT_REQUESTS = 40
PASSWORD = "bench horse battery staple"  # noqa: S105 - a throwaway account in the bench database
# The apps' secret key: it also derives the development key of what is encrypted at rest (the pupils' seeded
# child-protection status), so an app served on these databases (bench/local_authority.py's gunicorn) needs it too.
SECRET_KEY = "bench-attendance-" + "x" * 40
TARGET_P95_MS = 300
TARGET_RATIO = 1.5
TARGET_QUERIES = 15
TARGET_EXPORT_MS = 1000


def run(workspace) -> list[Metric]:
    return measure(workspace.dir)


# The apps on the seeded databases, by database URL and work directory: seeded once a run, for this benchmark and
# bench/compliance.py alike (each run still starts from empty databases).
_PREPARED: dict[tuple[str, Path], dict] = {}


def prepare(workdir: Path) -> dict:
    """The app of each scale ("tenth", "full") on its freshly seeded database (emptied, migrated and seeded on the
    first call of a run; the same apps after that)."""
    url = make_url(os.environ.get("BENCH_ATTENDANCE_DATABASE_URL", DEFAULT_URL))
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        raise BenchError("BENCH_ATTENDANCE_DATABASE_URL must be a PostgreSQL database whose name contains 'bench'")
    key = (url.render_as_string(hide_password=False), workdir)
    if key not in _PREPARED:
        _PREPARED[key] = _seeded_apps(url, workdir)
    return _PREPARED[key]


def _seeded_apps(url, workdir: Path) -> dict:
    tenth_url = url.set(database=f"{url.database}_tenth")
    apps = {}
    for scale, db_url, schools in (("tenth", tenth_url, SCHOOLS_TENTH), ("full", url, SCHOOLS_FULL)):
        try:
            _create_if_missing(db_url)
            _reset_schema(db_url)
        except OperationalError as exc:
            detail = str(exc.orig or exc).splitlines()[0]
            raise BenchError(f"the attendance benchmark needs PostgreSQL: {detail}") from exc
        app = _app(db_url.render_as_string(hide_password=False), workdir)
        with app.app_context():
            upgrade(revision="heads")  # every head: branches not yet re-chained migrate too
            started = time.monotonic()
            _seed(app, 1, schools)
            print(
                f"  {scale} scale seeded in {time.monotonic() - started:.0f} s ({_count_marks(app):,} marks)",
                flush=True,
            )
        apps[scale] = app
    return apps


def measure(workdir: Path) -> list[Metric]:
    apps = {scale: (app, _signed_in_client(app)) for scale, app in prepare(workdir).items()}
    # The two scales in two databases, measured in alternating rounds (tenth, full, full, tenth, ...), so a busy
    # moment on this shared machine falls on both alike rather than on whichever was measured second.
    times: dict[str, list[float]] = {"tenth": [], "full": []}
    for round_number in range(ROUNDS):
        order = ("tenth", "full") if round_number % 2 == 0 else ("full", "tenth")
        for scale in order:
            times[scale].extend(_time_page(*apps[scale]))
    tenth_p95, full_p95 = _p95(times["tenth"]), _p95(times["full"])
    queries = _count_queries(*apps["full"])
    export_p95 = _time_export(apps["full"][1])
    print(
        f"  today p95 {full_p95:.1f} ms at full scale, {tenth_p95:.1f} ms at a tenth; {queries} queries; "
        f"export of a week p95 {export_p95:.1f} ms",
        flush=True,
    )
    return [
        at_most("today_page_p95_ms", round(full_p95, 1), "ms", TARGET_P95_MS),
        at_most("today_page_scale_ratio", round(full_p95 / tenth_p95, 2), "ratio", TARGET_RATIO),
        at_most("today_page_queries", queries, "queries", TARGET_QUERIES),
        at_most("mis_export_week_p95_ms", round(export_p95, 1), "ms", TARGET_EXPORT_MS),
        Metric.informational("today_page_tenth_scale_p95_ms", round(tenth_p95, 1), "ms"),
    ]


def _app(database_url: str, workdir: Path):
    from shared.app import create_app

    return create_app(
        {
            "APP_ENV": "development",
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_BACKEND": "console",
            "MAIL_FOLDER": str(workdir / "attendance-mail"),
            "UPLOAD_FOLDER": str(workdir / "attendance-uploads"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_LEVEL": "WARNING",
            "SESSION_COOKIE_SECURE": False,
        }
    )


# --- seeding -------------------------------------------------------------------------------------------------------


def _school_days() -> list[date]:
    """The days of TERMS the app counts as school days: weekdays in a term, outside its half-term holiday, that are
    not bank holidays."""
    from shared.services.school_calendar.days import covers, is_bank_holiday

    days, day = [], YEAR_START
    while day <= YEAR_END:
        in_term = any(covers(*term[1:], day) for term in TERMS)
        if day.weekday() < 5 and in_term and not is_bank_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


SEED_SQL = """
CREATE TEMP TABLE b_la ON COMMIT DROP AS
  SELECT gen_random_uuid() AS id, gen_random_uuid() AS user_id, gen_random_uuid() AS membership_id;
INSERT INTO organisations (id, kind, name, created_at) SELECT id, 'local_authority', :la_name, now() FROM b_la;
INSERT INTO users (id, email, name, active, created_at)
  SELECT user_id, 'la.officer@bench-la.example', 'Bench LA officer', true, now() FROM b_la;
INSERT INTO memberships (id, user_id, organisation_id, created_at) SELECT membership_id, user_id, id, now() FROM b_la;
INSERT INTO membership_roles (membership_id, role) SELECT membership_id, 'la_officer' FROM b_la;

-- Every school in the one local authority, in groups of three (schools 1-3, 4-6, ...) whose providers they share;
-- each school relies on any school's verification of a provider's evidence (the bench's evidence is verified by
-- the provider's first school).
CREATE TEMP TABLE b_schools ON COMMIT DROP AS
  SELECT n, (n - 1) / 3 AS grp, gen_random_uuid() AS id
  FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n;
INSERT INTO organisations (id, kind, name, urn, local_authority_id, relies_on_any_school, created_at)
  SELECT id, 'school', 'Bench School ' || n, (900000 + n)::text, (SELECT id FROM b_la), true, now() FROM b_schools;
INSERT INTO school_terms (id, school_id, name, start_date, end_date, half_term_starts, half_term_ends, created_at)
  SELECT gen_random_uuid(), s.id, t.name, t.start_date, t.end_date, t.half_starts, t.half_ends, now()
  FROM b_schools s
  CROSS JOIN unnest(CAST(:term_names AS text[]), CAST(:term_starts AS date[]), CAST(:term_ends AS date[]),
                    CAST(:half_starts AS date[]), CAST(:half_ends AS date[]))
    AS t(name, start_date, end_date, half_starts, half_ends);

-- Each school brings PROVIDERS_PER_SCHOOL providers (provider "s-p": school_n s is its first school, so it works
-- with the school the longest); a group's schools place their pupils with all of the group's providers in turn, so
-- a provider has pupils from the three schools of its group (fewer in a last group of one or two schools).
CREATE TEMP TABLE b_providers ON COMMIT DROP AS
  SELECT s.n AS school_n, s.grp, s.id AS school_id, p AS provider_n,
         row_number() OVER (PARTITION BY s.grp ORDER BY s.n, p) - 1 AS grp_index, gen_random_uuid() AS id
  FROM b_schools s CROSS JOIN generate_series(1, CAST(:providers AS int)) AS p;
INSERT INTO organisations (id, kind, name, created_at)
  SELECT id, 'provider', 'Bench Provider ' || school_n || '-' || provider_n, now() FROM b_providers;
INSERT INTO provider_profiles (id, organisation_id, created_at, am_marks_due, pm_marks_due)
  SELECT gen_random_uuid(), id, now(), '10:00', '14:00' FROM b_providers;
-- A site each (the first provider of each school has two), in its group's town: what the LA's directory searches.
INSERT INTO provider_sites (id, profile_id, organisation_id, name, address_line_1, town, postcode, activities,
                            created_at)
  SELECT gen_random_uuid(), pp.id, bp.id, 'Bench Provider ' || bp.school_n || '-' || bp.provider_n || ' site ' || n,
         n || ' Bench Street', 'Bench Town ' || (bp.grp + 1), 'BX' || (bp.grp + 1) || ' ' || bp.provider_n || 'AB',
         (ARRAY['Maths and English', 'Construction skills', 'Motor vehicle', 'Hair and beauty', 'Outdoor education',
                'Catering', 'Sport and fitness', 'Art and music', 'Animal care', 'One-to-one tuition'])
           [bp.provider_n], now()
  FROM b_providers bp JOIN provider_profiles pp ON pp.organisation_id = bp.id
  CROSS JOIN generate_series(1, CASE WHEN bp.provider_n = 1 THEN 2 ELSE 1 END) AS n;

CREATE TEMP TABLE b_placements ON COMMIT DROP AS
  SELECT s.n AS school_n, s.id AS school_id, k,
         -- two pupils each of schools 4 and 5 go to FIVE_SCHOOL_PROVIDER, whose pupils then come from five schools
         CASE WHEN s.n IN (4, 5) AND k % 50 = 7 THEN
                (SELECT bp.id FROM b_providers bp WHERE bp.school_n = 1 AND bp.provider_n = 2)
              ELSE (SELECT bp.id FROM b_providers bp
                    WHERE bp.grp = s.grp
                      AND bp.grp_index = (k - 1) % (SELECT count(*) FROM b_providers g WHERE g.grp = s.grp))
         END AS provider_id,
         gen_random_uuid() AS pupil_id, gen_random_uuid() AS id, k % 10 = 0 AS part_time
  FROM b_schools s CROSS JOIN generate_series(1, CAST(:placements AS int)) AS k;
-- A school's relationship with each provider its pupils are placed with, approved (its first school's first).
INSERT INTO school_providers (id, school_id, provider_id, status, status_changed_at, created_at)
  SELECT gen_random_uuid(), l.school_id, l.provider_id, 'approved', now(),
         now() - CASE WHEN bp.school_id = l.school_id THEN interval '1 year' ELSE interval '6 months' END
  FROM (SELECT DISTINCT school_id, provider_id FROM b_placements) AS l JOIN b_providers bp ON bp.id = l.provider_id;
INSERT INTO pupils (id, school_id, upn, first_name, last_name, date_of_birth, send_status, semh, looked_after,
                    child_protection, early_help, created_at, updated_at)
  SELECT pupil_id, school_id, 'B' || lpad((school_n * 1000 + k)::text, 12, '0'), 'Pupil' || k, 'School' || school_n,
         DATE '2011-09-01' + (k % 365), 'none', false, false, :child_protection_none, false, now(), now()
  FROM b_placements;
INSERT INTO placements (id, school_id, provider_id, pupil_id, start_date, status, legal_basis, timetable,
                        review_interval_weeks, consulted_sendco, consulted_dsl, consulted_parents,
                        headteacher_decision, created_at)
  SELECT id, school_id, provider_id, pupil_id, :year_start, 'active',
         CASE WHEN k % 7 = 0 THEN 'la_arranged' ELSE 'school_arranged' END,
         CASE WHEN part_time THEN CAST(:part_time AS json) ELSE CAST(:full_time AS json) END,
         6, true, true, true, 'agreed', now()
  FROM b_placements;

INSERT INTO attendance_marks (id, placement_id, school_id, provider_id, pupil_id, day, session, kind, late_minutes,
                              reason, code, submitted_late, source, recorded_at)
  SELECT gen_random_uuid(), id, school_id, provider_id, pupil_id, day, session,
         CASE WHEN r < 0.90 THEN 'present' WHEN r < 0.94 THEN 'late' ELSE 'absent' END,
         CASE WHEN r >= 0.90 AND r < 0.94 THEN 5 + (r * 1000)::int % 40 END,
         CASE WHEN r < 0.94 THEN NULL WHEN r < 0.97 THEN 'illness' WHEN r < 0.98 THEN 'medical_appointment'
              ELSE 'unexplained' END,
         CASE WHEN r < 0.94 THEN basis_code WHEN r < 0.97 THEN 'I' WHEN r < 0.98 THEN 'M' ELSE 'N' END,
         r > 0.99, 'api', day + time '09:30'
  FROM (
    SELECT p.*, d.day, s.session, random() AS r,
           CASE WHEN p.k % 7 = 0 THEN 'K' ELSE 'B' END AS basis_code
    FROM b_placements p
    CROSS JOIN unnest(CAST(:days AS date[])) AS d(day)
    CROSS JOIN (VALUES ('AM'), ('PM')) AS s(session)
    WHERE NOT p.part_time OR extract(isodow FROM d.day) <= 3
  ) AS sessions;

INSERT INTO attendance_alerts (id, kind, placement_id, school_id, provider_id, pupil_id, mark_id, day, session,
                               reason, raised_at)
  SELECT gen_random_uuid(), 'absence', m.placement_id, m.school_id, m.provider_id, m.pupil_id, m.id, m.day, m.session,
         m.reason, m.recorded_at
  FROM attendance_marks m JOIN b_schools s ON s.id = m.school_id
  WHERE m.code = 'N';
WITH emails AS MATERIALIZED (
  SELECT gen_random_uuid() AS email_id, a.id AS alert_id, a.school_id, a.raised_at, a.day, who
  FROM attendance_alerts a JOIN b_schools s ON s.id = a.school_id
  CROSS JOIN (VALUES ('attendance.lead'), ('provider')) AS w(who)
), outbox AS (
  INSERT INTO outbox_emails (id, organisation_id, to_address, subject, body, created_at, attempts, sent_at,
                             last_error, failure, priority)
    SELECT email_id, school_id, who || '@bench.example', 'A placed pupil is absent without a reason', 'Hello',
           raised_at,
           CASE WHEN day = :day AND who = 'provider' THEN 2 ELSE 1 END,
           CASE WHEN day = :day AND who = 'provider' THEN NULL ELSE raised_at + interval '2 minutes' END,
           CASE WHEN day = :day AND who = 'provider' THEN 'The mail server could not be reached' END,
           CASE WHEN day = :day AND who = 'provider' THEN 'unreachable' END,
           0
    FROM emails
)
INSERT INTO attendance_alert_emails (alert_id, email_id) SELECT alert_id, email_id FROM emails;
"""

# What the compliance figures, the AP lead's task list and the governors' report are made of (issue 6), for every
# school, as of DAY (nothing after it but the marks): staff and provider accounts to be the authors, provider types
# (so evidence is required), agreements (most providers, two placements with their own terms), placement reasons
# and costs, a budget, incidents, reviews every six weeks, visits, evidence (last year's superseded, this year's
# verified, a few expired or lapsing, a few waiting to be checked), written confirmations (two lapsed), breaches,
# and one organisation per school waiting for approval. Concerns and notices are left out: their text is encrypted.
SLA_SEED_SQL = """
CREATE TEMP TABLE b_staff ON COMMIT DROP AS
  SELECT n AS school_n, id AS school_id, gen_random_uuid() AS user_id, gen_random_uuid() AS membership_id
  FROM b_schools;
INSERT INTO users (id, email, name, active, created_at)
  SELECT user_id, 'ap-lead-' || school_n || '@bench-school.example', 'Bench AP lead ' || school_n, true, now()
  FROM b_staff;
INSERT INTO memberships (id, user_id, organisation_id, created_at)
  SELECT membership_id, user_id, school_id, now() FROM b_staff;
INSERT INTO membership_roles (membership_id, role) SELECT membership_id, 'ap_lead' FROM b_staff;

CREATE TEMP TABLE b_managers ON COMMIT DROP AS
  SELECT b.*, gen_random_uuid() AS user_id, gen_random_uuid() AS membership_id, s.user_id AS staff_id
  FROM b_providers b JOIN b_staff s ON s.school_id = b.school_id;
INSERT INTO users (id, email, name, active, created_at)
  SELECT user_id, 'manager-' || school_n || '-' || provider_n || '@bench-provider.example',
         'Bench manager ' || school_n || '-' || provider_n, true, now()
  FROM b_managers;
INSERT INTO memberships (id, user_id, organisation_id, created_at)
  SELECT membership_id, user_id, id, now() FROM b_managers;
INSERT INTO membership_roles (membership_id, role) SELECT membership_id, 'provider_manager' FROM b_managers;
-- What is per school (agreements, visits, written confirmations, breaches) is per pair of school and provider:
-- home_n is the provider's first school, staff_id the pair's school's AP lead.
CREATE TEMP TABLE b_pairs ON COMMIT DROP AS
  SELECT sp.school_id, m.id, m.provider_n, m.school_n AS home_n, m.user_id, s.user_id AS staff_id
  FROM school_providers sp JOIN b_managers m ON m.id = sp.provider_id JOIN b_staff s ON s.school_id = sp.school_id;

UPDATE provider_profiles pp SET
  provider_type = CASE WHEN m.provider_n <= 2 THEN 'registered_school' WHEN m.provider_n = 3 THEN 'pru'
                       WHEN m.provider_n = 4 THEN 'fe_college' WHEN m.provider_n = 10 THEN 'tutor'
                       ELSE 'unregistered_ap' END,
  urn = CASE WHEN m.provider_n <= 3 THEN (100000 + m.school_n * 100 + m.provider_n)::text END,
  ukprn = CASE WHEN m.provider_n = 4 THEN (10000000 + m.school_n * 100 + m.provider_n)::text END,
  setting_type = CASE WHEN m.provider_n = 10 THEN 'Tuition agency'
                      WHEN m.provider_n >= 5 THEN 'Unregistered alternative provision' END,
  manager_name = 'Bench manager ' || m.school_n || '-' || m.provider_n,
  dsl_name = 'Bench provider DSL ' || m.school_n || '-' || m.provider_n
FROM b_managers m WHERE pp.organisation_id = m.id;

CREATE TEMP TABLE b_applicants ON COMMIT DROP AS
  SELECT n AS school_n, id AS school_id, gen_random_uuid() AS id FROM b_schools;
INSERT INTO organisations (id, kind, name, created_at)
  SELECT id, 'provider', 'Bench Applicant ' || school_n, now() FROM b_applicants;
INSERT INTO provider_profiles (id, organisation_id, created_at, am_marks_due, pm_marks_due, provider_type,
                               setting_type)
  SELECT gen_random_uuid(), id, CAST(:now AS timestamptz) - interval '20 days', '10:00', '14:00', 'unregistered_ap',
         'Unregistered alternative provision'
  FROM b_applicants;
INSERT INTO school_providers (id, school_id, provider_id, status, status_changed_at, created_at)
  SELECT gen_random_uuid(), school_id, id, 'submitted', CAST(:now AS timestamptz) - interval '5 days',
         CAST(:now AS timestamptz) - interval '20 days'
  FROM b_applicants;

INSERT INTO service_agreements (id, school_id, provider_id, placement_id, starts_on, ends_on, incidents_within_hours,
                                reviews_every_weeks, concerns_same_session, notices_before_next_school_day,
                                evidence_in_date, confirmation_current, school_policy_acknowledged,
                                behaviour_expectations, reporting_procedures, cost_per_session_pence,
                                cost_per_week_pence, created_by_id, created_at, updated_by_id, updated_at)
  SELECT gen_random_uuid(), school_id, id, NULL, :year_start, :year_end,
         CASE WHEN provider_n % 4 = 0 THEN 48 ELSE 24 END, 6, true, true, true, true, true,
         'The school''s behaviour policy, with the provider''s rewards and sanctions agreed at the start',
         'Incidents through the portal; safeguarding concerns to the school DSL the same session',
         4000 + 500 * provider_n, NULL, staff_id, TIMESTAMPTZ '2025-08-20 10:00+00', staff_id,
         TIMESTAMPTZ '2025-08-20 10:00+00'
  FROM b_pairs WHERE provider_n <= 8;
INSERT INTO service_agreements (id, school_id, provider_id, placement_id, starts_on, ends_on, incidents_within_hours,
                                reviews_every_weeks, concerns_same_session, notices_before_next_school_day,
                                evidence_in_date, confirmation_current, school_policy_acknowledged,
                                behaviour_expectations, reporting_procedures, cost_per_session_pence,
                                cost_per_week_pence, created_by_id, created_at, updated_by_id, updated_at)
  SELECT gen_random_uuid(), p.school_id, p.provider_id, p.id, :year_start, :year_end, 12, 4, true, true, true,
         true, true, 'A key worker with the pupil at all times', 'Any incident by phone to the AP lead as well',
         NULL, NULL, s.user_id, TIMESTAMPTZ '2025-09-10 10:00+00', s.user_id, TIMESTAMPTZ '2025-09-10 10:00+00'
  FROM b_placements p JOIN b_staff s ON s.school_id = p.school_id WHERE p.k % 50 = 25;

UPDATE placements pl SET
  primary_reason = (ARRAY['risk_of_exclusion', 'suspended', 'permanently_excluded', 'semh', 'medical',
                          'awaiting_place', 'other'])[1 + (p.k * 3) % 7],
  cost_pence = 4000 + 500 * (1 + p.k % CAST(:providers AS int)), cost_period = 'session',
  hours_per_week = CASE WHEN p.part_time THEN 15 ELSE 25 END,
  max_end_date = :year_end, parents_notified_on = DATE '2025-08-28', parents_notified_how = 'Letter and meeting'
FROM b_placements p WHERE pl.id = p.id;
INSERT INTO ap_budgets (id, school_id, year_starting, amount_pence, approved_on, entered_by_id, created_at, updated_at)
  SELECT gen_random_uuid(), school_id, 2025, 240000000, DATE '2025-07-10', user_id, now(), now() FROM b_staff;

CREATE TEMP TABLE b_incidents ON COMMIT DROP AS
  SELECT gen_random_uuid() AS id, x.*,
         x.occurred_at + CASE WHEN x.r4 < 0.88 THEN make_interval(mins => 30 + (x.r4 * 1200)::int)
                              ELSE make_interval(hours => 25 + (x.r4 * 50)::int) END AS reported_at
  FROM (
    SELECT p.id AS placement_id, p.school_id, p.provider_id, p.k, m.user_id AS reporter, s.user_id AS staff_id,
           (d.day + time '09:15' + make_interval(mins => (random() * 330)::int)) AT TIME ZONE 'Europe/London'
             AS occurred_at,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4
    FROM b_placements p
    JOIN b_managers m ON m.id = p.provider_id
    JOIN b_staff s ON s.school_id = p.school_id
    CROSS JOIN unnest(CAST(:days AS date[])) AS d(day)
    WHERE d.day <= :day AND (NOT p.part_time OR extract(isodow FROM d.day) <= 3)
  ) AS x
  WHERE x.r1 < 0.012;
DELETE FROM b_incidents WHERE reported_at > CAST(:now AS timestamptz);
INSERT INTO incidents (id, school_id, provider_id, occurred_at, location, incident_type, severity, description,
                       actions_taken, physical_intervention, physical_intervention_details, injury, injury_details,
                       parents_informed, suspension, reported_by_id, reported_at, acknowledged_by_id,
                       acknowledged_at, course_of_action, course_decided_by_id, course_decided_at)
  SELECT id, school_id, provider_id, occurred_at, 'Classroom',
         (ARRAY['verbal_abuse', 'disruption', 'threatening_behaviour', 'damage_to_property', 'absconding',
                'physical_assault_pupil', 'bullying', 'disruption', 'verbal_abuse', 'physical_assault_adult'])
           [1 + (r3 * 1000)::int % 10],
         CASE WHEN r2 < 0.5 THEN 'low' WHEN r2 < 0.8 THEN 'medium' WHEN r2 < 0.96 THEN 'high' ELSE 'serious' END,
         'Refused to follow instructions and left the room', 'Time out with a key worker, then back to the lesson',
         r3 < 0.08, CASE WHEN r3 < 0.08 THEN 'Guided away by the arm, a few seconds' END,
         r3 < 0.02, CASE WHEN r3 < 0.02 THEN 'A graze, first aid given' END,
         true, false, reporter, reported_at,
         CASE WHEN reported_at < CAST(:now AS timestamptz) - interval '2 days' THEN staff_id END,
         CASE WHEN reported_at < CAST(:now AS timestamptz) - interval '2 days' THEN reported_at + interval '3 hours'
         END,
         CASE WHEN (r2 >= 0.96 OR r3 < 0.08) AND reported_at < CAST(:now AS timestamptz) - interval '7 days'
              THEN 'Discussed with SLT: a meeting with the parents and an adjusted timetable' END,
         CASE WHEN (r2 >= 0.96 OR r3 < 0.08) AND reported_at < CAST(:now AS timestamptz) - interval '7 days'
              THEN staff_id END,
         CASE WHEN (r2 >= 0.96 OR r3 < 0.08) AND reported_at < CAST(:now AS timestamptz) - interval '7 days'
              THEN reported_at + interval '2 days' END
  FROM b_incidents;
INSERT INTO incident_pupils (incident_id, placement_id)
  SELECT id, placement_id FROM b_incidents
  UNION
  SELECT i.id, p.id FROM b_incidents i JOIN b_placements p ON p.school_id = i.school_id AND p.k = i.k + 10
  WHERE i.r4 < 0.1;

INSERT INTO placement_reviews (id, placement_id, school_id, due_on, held_on, attendees, attendance_percent,
                               incident_count, academic_progress, wellbeing, pupil_voice, outcome, changes,
                               next_review_on, recorded_by_id, recorded_at)
  SELECT gen_random_uuid(), placement_id, school_id, due_on, held_on,
         CAST('{"school": "AP lead", "provider": "Key worker", "parents": "Parent", "pupil": "Pupil"}' AS json),
         round(CAST(80 + 20 * r AS numeric), 1), 0, 'Working towards the agreed targets', 'Settled',
         'Likes the practical work', CASE WHEN r < 0.15 THEN 'adjust' ELSE 'continue' END,
         CASE WHEN r < 0.15 THEN 'One more day a week in school' END,
         due_on + 42, staff_id, (held_on + time '16:00') AT TIME ZONE 'Europe/London'
  FROM (
    SELECT x.*, x.held + CASE extract(isodow FROM x.held) WHEN 6 THEN -1 WHEN 7 THEN -2 ELSE 0 END AS held_on
    FROM (
      -- due every six weeks from the start (each review sets the next); held up to three days early, or twelve
      -- days late for one pupil in five every other time; never at a weekend
      SELECT p.id AS placement_id, p.school_id, p.k, s.user_id AS staff_id, random() AS r,
             DATE '2025-09-01' + 42 * n AS due_on,
             DATE '2025-09-01' + 42 * n + CASE WHEN p.k % 5 = 0 AND n % 2 = 1 THEN 12 ELSE -((p.k + n) % 4) END
               AS held
      FROM b_placements p JOIN b_staff s ON s.school_id = p.school_id CROSS JOIN generate_series(1, 7) AS n
    ) AS x
  ) AS reviews
  -- one pupil in eight has missed the latest review (overdue)
  WHERE held_on <= CAST(:day AS date) AND NOT (k % 8 = 0 AND due_on > CAST(:day AS date) - 42);

INSERT INTO site_visits (id, school_id, provider_id, visited_on, pupils_seen, findings, actions, recorded_by_id,
                         recorded_at)
  SELECT gen_random_uuid(), m.school_id, m.id, v.visited_on, CAST('[]' AS json),
         'Pupils settled and engaged; registers and the incident log seen', NULL, m.staff_id,
         (v.visited_on + time '15:30') AT TIME ZONE 'Europe/London'
  FROM b_pairs m
  CROSS JOIN LATERAL (SELECT DATE '2025-09-15' + 42 * n + m.provider_n % 5 AS visited_on
                      FROM generate_series(0, 5) AS n) AS v
  -- two providers of each school have not been visited for more than six weeks
  WHERE v.visited_on <= CAST(:day AS date)
    AND NOT (m.provider_n IN (4, 8) AND v.visited_on > CAST(:day AS date) - 60);

CREATE TEMP TABLE b_required ON COMMIT DROP AS
  SELECT * FROM unnest(CAST(:evidence_types AS text[]), CAST(:evidence_codes AS text[]),
                       CAST(:evidence_kinds AS text[]), CAST(:evidence_months AS int[]))
    AS r(provider_type, code, date_kind, months);
CREATE TEMP TABLE b_documents ON COMMIT DROP AS
  SELECT m.id AS provider_id, m.provider_n, m.user_id AS uploader, m.staff_id, m.school_id AS reviewer_school_id,
         r.code, r.date_kind, r.months,
         -- this year's dates by the type's rule; a few out of date, one running out within 60 days
         CASE WHEN r.date_kind = 'review' THEN DATE '2025-07-01' + m.provider_n END AS review_date,
         CASE WHEN r.date_kind = 'valid_for' THEN
           CASE WHEN m.provider_n = 9 THEN DATE '2024-01-10' ELSE DATE '2024-09-01' + 30 * m.provider_n END
         END AS issue_date,
         CASE WHEN r.date_kind = 'expiry' THEN
           CASE WHEN m.provider_n = 3 AND r.code = 'public_liability_insurance' THEN DATE '2026-02-02'
                WHEN m.provider_n = 6 AND r.code = 'employers_liability_insurance' THEN DATE '2026-04-20'
                ELSE DATE '2026-08-31' END
         END AS printed_expiry
  FROM b_managers m
  JOIN provider_profiles pp ON pp.organisation_id = m.id
  JOIN b_required r ON r.provider_type = pp.provider_type;
INSERT INTO evidence_documents (id, organisation_id, evidence_type, version, status, storage_key, display_name,
                                content_type, size_bytes, sha256, virus_scanned, uploaded_by_id, uploaded_at,
                                issue_date, expiry_date, review_date, reviewed_by_id, reviewed_by_organisation_id,
                                reviewed_at, checklist)
  SELECT gen_random_uuid(), provider_id, code, 1, 'superseded', 'bench/' || gen_random_uuid(), code || '-2024.pdf',
         'application/pdf', 180000 + provider_n * 1000, md5(random()::text) || md5(random()::text), true, uploader,
         TIMESTAMPTZ '2024-08-05 09:00+00' + provider_n * interval '1 day', NULL,
         CASE WHEN date_kind = 'none' THEN NULL ELSE DATE '2025-09-01' + provider_n END, NULL, staff_id,
         reviewer_school_id, TIMESTAMPTZ '2024-08-07 11:00+00' + provider_n * interval '1 day', CAST('{}' AS json)
  FROM b_documents;
INSERT INTO evidence_documents (id, organisation_id, evidence_type, version, status, storage_key, display_name,
                                content_type, size_bytes, sha256, virus_scanned, uploaded_by_id, uploaded_at,
                                issue_date, expiry_date, review_date, reviewed_by_id, reviewed_by_organisation_id,
                                reviewed_at, checklist)
  SELECT gen_random_uuid(), provider_id, code, 2,
         CASE WHEN expiry_date <= CAST(:day AS date) THEN 'expired' ELSE 'verified' END,
         'bench/' || gen_random_uuid(), code || '-2025.pdf', 'application/pdf', 190000 + provider_n * 1000,
         md5(random()::text) || md5(random()::text), true, uploader,
         TIMESTAMPTZ '2025-08-10 09:00+00' + provider_n * interval '1 day', issue_date, expiry_date, review_date,
         staff_id, reviewer_school_id, TIMESTAMPTZ '2025-08-12 11:00+00' + provider_n * interval '1 day',
         CAST('{}' AS json)
  FROM (
    SELECT d.*, CASE date_kind WHEN 'expiry' THEN printed_expiry
                               WHEN 'review' THEN CAST(review_date + make_interval(months => months) AS date)
                               WHEN 'valid_for' THEN CAST(issue_date + make_interval(months => months) AS date)
                END AS expiry_date
    FROM b_documents d
  ) AS documents;
INSERT INTO evidence_documents (id, organisation_id, evidence_type, version, status, storage_key, display_name,
                                content_type, size_bytes, sha256, virus_scanned, uploaded_by_id, uploaded_at,
                                checklist)
  SELECT gen_random_uuid(), provider_id, code, 3, 'awaiting_review', 'bench/' || gen_random_uuid(),
         code || '-renewed.pdf', 'application/pdf', 200000, md5(random()::text) || md5(random()::text), true,
         uploader, CAST(:now AS timestamptz) - interval '8 days', CAST('{}' AS json)
  FROM b_documents WHERE provider_n = 3 AND code = 'public_liability_insurance';
INSERT INTO evidence_documents (id, organisation_id, evidence_type, version, status, storage_key, display_name,
                                content_type, size_bytes, sha256, virus_scanned, uploaded_at, checklist)
  SELECT gen_random_uuid(), a.id, r.code, 1, 'awaiting_review', 'bench/' || gen_random_uuid(), r.code || '.pdf',
         'application/pdf', 150000, md5(random()::text) || md5(random()::text), true,
         CAST(:now AS timestamptz) - interval '6 days', CAST('{}' AS json)
  FROM b_applicants a JOIN b_required r ON r.provider_type = 'unregistered_ap';

INSERT INTO kcsie_confirmations (id, organisation_id, school_id, signed_by_id, typed_name, signer_role,
                                 statement_version, statement_text, signed_at, lapsed_at, lapse_reason)
  SELECT gen_random_uuid(), id, school_id, user_id, 'Bench manager ' || home_n || '-' || provider_n, 'Manager',
         '2025-1',
         'I confirm that the staff on our list have had the checks the school would otherwise carry out.',
         TIMESTAMPTZ '2025-08-25 10:00+00' + provider_n * interval '1 day',
         CASE provider_n WHEN 7 THEN TIMESTAMPTZ '2026-02-03 11:00+00' WHEN 9 THEN TIMESTAMPTZ '2026-01-19 11:00+00'
         END,
         CASE WHEN provider_n IN (7, 9) THEN 'The staff list changed' END
  FROM b_pairs;
INSERT INTO kcsie_confirmations (id, organisation_id, school_id, signed_by_id, typed_name, signer_role,
                                 statement_version, statement_text, signed_at)
  SELECT gen_random_uuid(), id, school_id, user_id, 'Bench manager ' || home_n || '-' || provider_n, 'Manager',
         '2025-1',
         'I confirm that the staff on our list have had the checks the school would otherwise carry out.',
         TIMESTAMPTZ '2026-02-27 09:30+00'
  FROM b_pairs WHERE provider_n = 7;

INSERT INTO compliance_breaches (id, school_id, provider_id, term_key, period_start, period_end, period_name, percent,
                                 summary, raised_at, resolved_at, resolved_by_id, action_taken)
  SELECT gen_random_uuid(), m.school_id, m.id, b.term_key, b.period_start, b.period_end, b.period_name, b.percent,
         b.summary, b.raised_at, b.resolved_at, CASE WHEN b.resolved_at IS NOT NULL THEN m.staff_id END,
         b.action_taken
  FROM b_pairs m
  JOIN (VALUES
    (3, 'evidence', DATE '2026-01-05', DATE '2026-02-13', 'Spring 2026, first half', 70.0,
     '12 of 40 days with a required document out of date or missing', TIMESTAMPTZ '2026-02-14 06:00+00',
     CAST(NULL AS timestamptz), CAST(NULL AS text)),
    (9, 'evidence', DATE '2026-01-05', DATE '2026-02-13', 'Spring 2026, first half', 12.5,
     '35 of 40 days with a required document out of date or missing', TIMESTAMPTZ '2026-02-14 06:00+00', NULL, NULL),
    (9, 'confirmation', DATE '2026-01-05', DATE '2026-02-13', 'Spring 2026, first half', 37.5,
     '25 of 40 days without a current written confirmation', TIMESTAMPTZ '2026-02-14 06:00+00', NULL, NULL),
    (5, 'attendance', DATE '2025-11-03', DATE '2025-12-19', 'Autumn 2025, second half', 84.2,
     '512 of 608 sessions marked on time', TIMESTAMPTZ '2025-12-20 06:00+00', TIMESTAMPTZ '2026-01-08 14:00+00',
     'Met the manager: registers now taken by 10:00 by the key worker, checked weekly by the AP lead')
  ) AS b(provider_n, term_key, period_start, period_end, period_name, percent, summary, raised_at, resolved_at,
         action_taken)
    ON b.provider_n = m.provider_n;
"""


def _seed(app, first: int, last: int) -> None:
    from shared.evidence_catalogue import CATALOGUE
    from shared.extensions import db
    from shared.models.pupil import TIMETABLE_SLOTS

    required = [(kind, entry) for entry in CATALOGUE for kind in sorted(entry.required_for)]
    parameters = {
        "first": first,
        "la_name": LA_NAME,
        "last": last,
        "providers": PROVIDERS_PER_SCHOOL,
        "placements": PLACEMENTS_PER_SCHOOL,
        "year_start": YEAR_START,
        "year_end": YEAR_END,
        "days": _school_days(),
        "day": DAY,
        "now": NOW,
        "part_time": json.dumps(list(TIMETABLE_SLOTS[:6])),
        "full_time": json.dumps(list(TIMETABLE_SLOTS)),
        # Encrypted at rest (one ciphertext shared by the bench's pupils: it decrypts for each of them).
        "child_protection_none": encrypt_text("none", "Pupil.child_protection"),
        "term_names": [term[0] for term in TERMS],
        "term_starts": [term[1] for term in TERMS],
        "term_ends": [term[2] for term in TERMS],
        "half_starts": [term[3] for term in TERMS],
        "half_ends": [term[4] for term in TERMS],
        "evidence_types": [str(kind) for kind, _ in required],
        "evidence_codes": [entry.code for _, entry in required],
        "evidence_kinds": [str(entry.date_kind) for _, entry in required],
        "evidence_months": [entry.months for _, entry in required],
    }
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        # A bulk load of a new database: no page has been kept, so the kept pages' triggers (a row of
        # organisation_changes for each of 1.1 million marks) are left out, as pg_restore leaves them out.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in filter(str.strip, (SEED_SQL + SLA_SEED_SQL).split(";\n")):
            conn.execute(text(statement), parameters)
        told = "SELECT 1 FROM information_schema.columns WHERE table_name = 'placements' AND column_name = :column"
        if conn.scalar(text(told), {"column": "la_notified_at"}):
            # Each school told the LA of its placements when the headteacher agreed them, the day before the start.
            conn.execute(text("UPDATE placements SET la_notified_at = start_date - 1 + time '16:00'"))
    # VACUUM too: the visibility map a steady database has (index-only scans), and no autovacuum of the fresh rows
    # starting in the middle of the measurements.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _count_marks(app) -> int:
    from shared.extensions import db

    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM attendance_marks"))


# --- measuring -----------------------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _token(response) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    if not match:
        raise BenchError(f"no CSRF token on the page (HTTP {response.status_code})")
    return match.group(1) or match.group(2)


def new_member(app, role: str, organisation: str) -> tuple[str, str]:
    """A new member of the organisation with this role, password PASSWORD and a security code set up: their e-mail
    address and TOTP secret."""
    from shared.extensions import db
    from shared.models import Organisation, utcnow
    from shared.services.accounts import people as accounts

    secret = pyotp.random_base32()
    with app.app_context():
        member_of = db.session.query(Organisation).filter_by(name=organisation).one()
        email = f"{role.replace('_', '-')}-{secret[:8].lower()}@bench-school.example"
        user = accounts.create_user(member_of, email=email, name="Bench lead", roles=[role], password=PASSWORD)
        user.totp_secret = secret
        user.mfa_enabled_at = utcnow()
        db.session.commit()
    return email, secret


def _signed_in_client(app, role: str = "attendance_lead", organisation: str = "Bench School 1"):
    """A test client signed in (password, then security code) as a new member of the organisation (school 1 unless
    told) with this role (the attendance lead unless told)."""
    email, secret = new_member(app, role, organisation)
    client = app.test_client()
    answer = client.post(
        "/sign-in", data={"csrf_token": _token(client.get("/sign-in")), "email": email, "password": PASSWORD}
    )
    if answer.status_code != 302:
        raise BenchError(f"sign-in refused (HTTP {answer.status_code})")
    form = client.get("/sign-in/security-code")
    answer = client.post("/sign-in/security-code", data={"csrf_token": _token(form), "code": pyotp.TOTP(secret).now()})
    if answer.status_code != 302:
        raise BenchError(f"security code refused (HTTP {answer.status_code})")
    return client


def _p95(figures: list[float]) -> float:
    return statistics.quantiles(figures, n=20, method="inclusive")[18]


def _page_path() -> str:
    return f"/school/attendance?day={DAY.isoformat()}"


def _time_page(app, client) -> list[float]:
    """Server times in ms of REQUESTS_PER_ROUND requests to the today page, after a few unmeasured ones."""
    path = _page_path()
    times = []
    for n in range(WARM_UP + REQUESTS_PER_ROUND):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or b"Pupil100 School1" not in response.data:
            raise BenchError(f"GET {path} did not show school 1's pupils (HTTP {response.status_code})")
        if n >= WARM_UP:
            times.append(elapsed)
    return times


def _count_queries(app, client, path: str | None = None) -> int:
    """The SQL statements one request to the page (the today page unless told) runs, the session check included."""
    from shared.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path or _page_path())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _time_export(client) -> float:
    path = f"/school/attendance/export?from={WEEK[0].isoformat()}&to={WEEK[1].isoformat()}"
    times = []
    for n in range(5 + EXPORT_REQUESTS):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or response.mimetype != "text/csv" or body.count(b"\n") < 900:
            raise BenchError(f"GET {path} did not give a week's CSV (HTTP {response.status_code})")
        if n >= 5:
            times.append(elapsed)
    return _p95(times)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ap-portal-bench-attendance-") as directory:
        try:
            for metric in measure(Path(directory)):
                print(f"{metric.name}: {metric.value:g} {metric.unit} (target {metric.target}, ok {metric.ok})")
        except BenchError as exc:
            print(f"bench: could not run: {exc}", file=sys.stderr)
            sys.exit(1)
