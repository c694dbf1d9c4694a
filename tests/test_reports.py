"""The inspection pack and the school census's AP placement items: what they list, who may see them, the audit."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import event

from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    AuditEvent,
    EvidenceDocument,
    KcsieConfirmation,
    Placement,
    ProviderProfile,
    ProviderStatus,
)
from shared.services.reports import inspection as reports
from shared.upn import make_upn
from tests.support.client import Browser, html

NOW = "2026-11-30 09:30:00"  # a Monday in term; the school year so far is 1 September to 30 November 2026
UPN = {n: make_upn(999, 1, 26, n) for n in range(1, 5)}  # deterministic, with a correct check letter
CENSUS_URL = "/school/reports/census.csv?from=2026-09-01&to=2026-11-30"


def _profile(app, provider_id, **fields):
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider_id).one()
        for name, value in fields.items():
            setattr(profile, name, value)
        db.session.commit()


def _document(world, app, provider_id, evidence_type, status, **dates):
    document_id = world.document_row(provider_id, evidence_type, status=status)
    with app.app_context():
        document = db.session.get(EvidenceDocument, document_id)
        for name, value in dates.items():
            setattr(document, name, value)
        db.session.commit()


@pytest.fixture
def school_world(world, app):
    """Two providers in use, one suspended, one still onboarding, and another school's provider and placement."""
    school = world.school("Demo School")
    lead = world.user(school, ["ap_lead"])
    farm = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _profile(app, farm, setting_type="Farm-based learning")
    college = world.provider(school, "Bridge College", ProviderStatus.APPROVED, provider_type="fe_college")
    _profile(app, college, ukprn="10012345")
    suspended = world.provider(school, "Riverside Tutors", ProviderStatus.SUSPENDED, provider_type="tutor")
    world.provider(school, "Not Yet Ready Ltd", ProviderStatus.ONBOARDING)

    other_school = world.school("Other School")
    other_provider = world.provider(other_school, "Elsewhere Academy", ProviderStatus.APPROVED)
    world.placement(other_school, other_provider, world.pupil(other_school, first_name="Olly", last_name="Other"))

    # Running, full time (every session), school-arranged.
    ava = world.pupil(school, first_name="Ava", last_name="Able", upn=UPN[1])
    running = world.placement(school, farm, ava, start=date(2026, 9, 7), primary_reason="semh")
    # Ended in the period, part time (3 sessions, 9 hours), arranged by the local authority.
    ben = world.pupil(school, first_name="Ben", last_name="Baker", upn=UPN[2])
    world.placement(
        school,
        college,
        ben,
        start=date(2026, 9, 14),
        end_date=date(2026, 10, 16),
        status="ended",
        timetable=["mon_am", "tue_am", "wed_am"],
        hours_per_week=Decimal("9.0"),
        legal_basis="la_arranged",
        primary_reason="suspended",
    )
    # Full time by its hours (27.5) though not every session; dual registered.
    dan = world.pupil(school, first_name="Dan", last_name="Dove", upn=UPN[4])
    world.placement(
        school,
        college,
        dan,
        start=date(2026, 11, 2),
        timetable=["mon_am", "mon_pm", "tue_am", "tue_pm", "wed_am", "wed_pm", "thu_am", "thu_pm"],
        hours_per_week=Decimal("27.5"),
        legal_basis="dual_registration",
        primary_reason="permanently_excluded",
    )
    # Outside the period: ended last school year.
    cara = world.pupil(school, first_name="Cara", last_name="Cole", upn=UPN[3])
    world.placement(
        school, farm, cara, start=date(2025, 9, 8), end_date=date(2026, 7, 17), status="ended", primary_reason="other"
    )
    # Still being planned: not a placement yet.
    world.placement(school, farm, world.pupil(school, first_name="Pat", last_name="Planned"), status="planned")

    # The farm's evidence, confirmation, approval, visits and review.
    _document(
        world, app, farm, "safeguarding_policy", "verified", issue_date=date(2026, 9, 1), review_date=date(2027, 9, 1)
    )
    _document(world, app, farm, "public_liability_insurance", "verified", expiry_date=date(2027, 3, 31))
    _document(world, app, farm, "employers_liability_insurance", "verified", expiry_date=date(2026, 11, 1))
    _document(world, app, farm, "behaviour_policy", "awaiting_review")
    manager = world.user(farm, ["provider_manager"])
    with app.app_context():
        db.session.add(
            KcsieConfirmation(
                organisation_id=farm,
                school_id=school,
                signed_by_id=manager.id,
                typed_name="Morgan Manager",
                signer_role="Manager",
                statement_version="2026-1",
                statement_text="The checks are done.",
                signed_at=datetime(2026, 10, 5, 14, 0, tzinfo=UTC),
            )
        )
        db.session.add(
            ApprovalDecision(
                organisation_id=farm,
                school_id=school,
                decision="approved",
                notes="All in order.",
                checklist=[],
                decided_by_id=lead.id,
                decided_at=datetime(2026, 9, 3, 10, 0, tzinfo=UTC),
            )
        )
        db.session.commit()
    world.visit(farm, visited_on=date(2026, 10, 1))
    world.visit(farm, visited_on=date(2026, 11, 2))
    world.review(running, held_on=date(2026, 10, 19))
    return {
        "school": school,
        "lead": lead,
        "farm": farm,
        "college": college,
        "suspended": suspended,
        "other_provider": other_provider,
    }


def _signed_in(app, world, school, roles):
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, roles))
    return browser


def _rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _section(page: str, heading: str) -> str:
    start = page.index(f">{heading}</h2>")
    following = page.find('<h2 class="govuk-heading-m', start)
    return page[start : following if following != -1 else len(page)]


@freeze_time(NOW)
def test_census_rows_are_the_placements_that_ran_in_the_period(school_world, app, world):
    browser = _signed_in(app, world, school_world["school"], ["headteacher"])
    response = browser.get(CENSUS_URL)
    assert 'filename="ap-census-2026-09-01-to-2026-11-30.csv"' in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert [list(row.values()) for row in rows] == [
        # UPN, surname, forename, provider, URN, UKPRN, setting type, reason, entry, leaving, FT/PT, code, sessions
        [
            UPN[1],
            "Able",
            "Ava",
            "Hill Farm Learning",
            "",
            "",
            "Farm-based learning",
            "Social, emotional and mental health",
            "2026-09-07",
            "",
            "FT",
            "B",
            "10",
        ],
        [
            UPN[2],
            "Baker",
            "Ben",
            "Bridge College",
            "",
            "10012345",
            "",
            "Suspension",
            "2026-09-14",
            "2026-10-16",
            "PT",
            "K",
            "3",
        ],
        [
            UPN[4],
            "Dove",
            "Dan",
            "Bridge College",
            "",
            "10012345",
            "",
            "Permanent exclusion",
            "2026-11-02",
            "",
            "FT",
            "D",
            "8",
        ],
    ]
    assert list(rows[0]) == reports.CENSUS_COLUMNS
    # A period that only the old placement overlaps gives just that one.
    old = _rows(browser.get("/school/reports/census.csv?from=2026-07-01&to=2026-07-31"))
    assert [(row["surname"], row["leaving date"]) for row in old] == [("Cole", "2026-07-17")]


@freeze_time(NOW)
def test_census_form_defaults_to_the_school_year_and_explains_the_columns(school_world, app, world):
    browser = _signed_in(app, world, school_world["school"], ["ap_lead"])
    page = html(browser.get("/school/reports/census"))
    assert (
        'id="from-day" name="from" type="text" value="01"' in page
        and 'id="from-month" name="from" type="text" value="09"' in page
    )
    assert (
        'id="to-day" name="to" type="text" value="30"' in page
        and 'id="to-month" name="to" type="text" value="11"' in page
    )
    assert "FT (full time) when the pupil is timetabled at the provider for all 10 sessions" in page
    assert "25 hours a week or more" in page
    assert "Check it against the code set" in page
    # No dates: back to the form. Dates that are not right: the form with the problem.
    assert browser.get("/school/reports/census.csv").location.endswith("/school/reports/census")
    wrong = browser.get("/school/reports/census.csv?from=2026-11-30&to=2026-09-01")
    assert wrong.status_code == 200 and "The last day must be the same as or after the first day" in html(wrong)
    assert "There is a problem" in html(wrong)
    # The form's own boxes (day, month, year) give the file.
    boxes = browser.get("/school/reports/census.csv?from=1&from=9&from=2026&to=30&to=11&to=2026")
    assert [row["surname"] for row in _rows(boxes)] == ["Able", "Baker", "Dove"]


@freeze_time(NOW)
def test_census_cells_that_look_like_formulas_are_made_plain(school_world, app, world):
    school, farm = school_world["school"], school_world["farm"]
    _profile(app, farm, setting_type="+44 farm")
    with app.app_context():
        organisation = db.session.get(ProviderProfile, _profile_id(farm)).organisation
        organisation.name = '=HYPERLINK("http://evil.example")'
        db.session.commit()
    browser = _signed_in(app, world, school, ["slt"])
    body = browser.get(CENSUS_URL).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["provider"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["setting type"] == "'+44 farm"
    assert reports.spreadsheet_safe("-1") == "'-1" and reports.spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert reports.spreadsheet_safe("Hill Farm") == "Hill Farm"
    inspection = browser.get("/school/reports/inspection.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in inspection and ",=HYPERLINK" not in inspection


def _profile_id(provider_id):
    return db.session.query(ProviderProfile.id).filter_by(organisation_id=provider_id).scalar()


@freeze_time(NOW)
def test_inspection_pack_lists_providers_with_evidence_confirmation_and_visits(school_world, app, world):
    browser = _signed_in(app, world, school_world["school"], ["dsl"])
    response = browser.get("/school/reports/inspection")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = html(response)
    assert "<title>Inspection pack" in page
    # Approved, suspended, or with placements; not one still onboarding, nor another school's.
    assert "Bridge College" in page and "Riverside Tutors" in page
    assert "Not Yet Ready Ltd" not in page and "Elsewhere Academy" not in page and "Olly" not in page

    farm = _section(page, "Hill Farm Learning")
    assert "Unregistered alternative provision" in farm and "Farm-based learning" in farm
    assert "Approved on" in farm and "3 September 2026" in farm
    assert "Signed on 5 October 2026" in farm
    assert "2 November 2026" in farm and "1 October 2026" not in farm  # the last visit only
    assert "Verified until 31 March 2027" in farm  # public liability insurance
    assert "Expired" in farm  # employer's liability lapsed on 1 November
    assert "Awaiting review" in farm and "Not uploaded" in farm
    assert "1 September 2027" in farm  # the safeguarding policy's review date
    assert "Ava Able" in farm and "19 October 2026" in farm and "Placed now" in farm
    assert "Cara Cole" not in farm and "Pat Planned" not in farm  # last year's, and one only planned

    college = _section(page, "Bridge College")
    assert "10012345" in college and "Ben Baker" in college and "Dan Dove" in college
    assert "No current confirmation signed" in college  # no written confirmation
    riverside = _section(page, "Riverside Tutors")
    assert "Suspended" in riverside and "No pupils placed this school year." in riverside


@freeze_time(NOW)
def test_inspection_pack_csv_has_counts_and_dates_but_no_names(school_world, app, world):
    browser = _signed_in(app, world, school_world["school"], ["headteacher"])
    rows = _rows(browser.get("/school/reports/inspection.csv"))
    body = str(rows)
    assert "Ava" not in body and "Baker" not in body
    farm = {row["evidence"]: row for row in rows if row["provider"] == "Hill Farm Learning"}
    policy = farm["Child protection and safeguarding policy"]
    assert policy["evidence status"] == "Verified" and policy["last reviewed on"] == "2027-09-01"
    assert policy["issued on"] == "2026-09-01"
    assert policy["written confirmation signed on"] == "2026-10-05" and policy["last site visit"] == "2026-11-02"
    assert policy["last placement review"] == "2026-10-19" and policy["approved on"] == "2026-09-03"
    assert policy["pupils placed now"] == "1" and policy["pupils placed in period"] == "1"
    assert policy["setting type"] == "Farm-based learning"
    college = [row for row in rows if row["provider"] == "Bridge College"]
    assert college[0]["UKPRN"] == "10012345" and college[0]["pupils placed now"] == "1"
    assert college[0]["pupils placed in period"] == "2"
    assert {row["provider"] for row in rows} == {"Hill Farm Learning", "Bridge College", "Riverside Tutors"}


@freeze_time(NOW)
def test_inspection_pack_reads_a_fixed_number_of_queries(school_world, app, world):
    def count_queries(school_id) -> int:
        statements = []

        def _count(*_args):
            statements.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", _count)
        try:
            reports.inspection_pack(school_id, date(2026, 9, 1), date(2026, 11, 30), date(2026, 11, 30))
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        return len(statements)

    with app.app_context():
        before = count_queries(school_world["school"])
    for number in range(3):
        provider = world.provider(school_world["school"], f"Extra {number}", ProviderStatus.APPROVED)
        world.placement(school_world["school"], provider)
        world.visit(provider)
    with app.app_context():
        assert count_queries(school_world["school"]) == before <= 8


@freeze_time(NOW)
def test_reports_are_audited(school_world, app, world):
    browser = _signed_in(app, world, school_world["school"], ["ap_lead"])
    browser.get("/school/reports/inspection")
    browser.get("/school/reports/inspection.csv")
    browser.get(CENSUS_URL)
    with app.app_context():
        events = [
            (event.action, event.details)
            for event in db.session.query(AuditEvent)
            .filter(AuditEvent.action.like("report.%"))
            .order_by(AuditEvent.seq)
        ]
    assert events == [
        ("report.viewed", {"report": "inspection"}),
        ("report.exported", {"report": "inspection", "rows": 8 + 9 + 7}),  # documents: farm 8, college 9, tutors 7
        ("report.exported", {"report": "census", "rows": 3}),
    ]


@freeze_time(NOW)
def test_reports_page_links_to_both_reports(school_world, app, world):
    page = html(_signed_in(app, world, school_world["school"], ["slt"]).get("/school/reports"))
    assert 'href="/school/reports/inspection"' in page and 'href="/school/reports/census"' in page


def test_full_time_rule():
    assert reports.is_full_time(Placement(timetable=["mon_am"] * 1, hours_per_week=Decimal("25")))
    assert not reports.is_full_time(Placement(timetable=["mon_am", "mon_pm"], hours_per_week=Decimal("24.5")))
    assert not reports.is_full_time(Placement(timetable=["mon_am", "mon_pm"], hours_per_week=None))
