"""Compliance with the service level agreement, computed from what already happened: each term's figure against a
hand-built history (on time, late, missing), the RAG thresholds and the overall status, the provider seeing the same
numbers, and the school's compliance page (its rows, its fixed number of queries, who may see it). Frozen time."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import event

from shared import roles
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    Concern,
    KcsieConfirmation,
    Notice,
    Placement,
    ProviderProfile,
    ProviderStatus,
    ServiceAgreement,
)
from shared.services import compliance, half_terms

NOW = "2026-12-01 18:00:00"  # Tuesday evening, in term (London is on GMT, so local time is UTC)


def html(response) -> str:
    return response.get_data(as_text=True)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _concern(world, placement_id, occurred_at, sent_at):
    p = db.session.get(Placement, placement_id)
    db.session.add(
        Concern(
            school_id=p.school_id,
            provider_id=p.provider_id,
            placement_id=p.id,
            pupil_id=p.pupil_id,
            status="sent" if sent_at else "raised",
            occurred_at=occurred_at,
            location="Workshop",
            category="neglect",
            what_happened="Secret words of the concern",
            actions_taken="Told the DSL",
            raised_by_id=world._someone(p.provider_id),
            sent_at=sent_at,
        )
    )


def _notice(world, placement_id, shared_at, acknowledged_at):
    p = db.session.get(Placement, placement_id)
    db.session.add(
        Notice(
            school_id=p.school_id,
            provider_id=p.provider_id,
            pupil_id=p.pupil_id,
            placement_id=p.id,
            kind="operation_encompass",
            provider_text="Secret words of the notice",
            shared_by_id=world._someone(p.school_id),
            shared_at=shared_at,
            acknowledged_at=acknowledged_at,
        )
    )


def _agreement(world, school, provider, **terms):
    someone = world._someone(school)
    db.session.add(
        ServiceAgreement(
            school_id=school,
            provider_id=provider,
            starts_on=date(2026, 9, 1),
            created_by_id=someone,
            updated_by_id=someone,
            **terms,
        )
    )


def _history(app, world, school, provider):
    """A provider's autumn: every term has something on time and something late or missing."""
    first = world.placement(school, provider, start=date(2026, 9, 7), timetable=["mon_am"])
    second = world.placement(school, provider, start=date(2026, 9, 21), timetable=["mon_am"])
    # Incidents: reported after 2 hours (on time) and after 30 hours (late, the limit being 24).
    world.incident(first, occurred_at=at(30, 10), reported_at=at(30, 12))
    world.incident(second, occurred_at=at(23, 9), reported_at=at(24, 15))
    # Reviews: one held on its date, one a week late; the first placement's next review (30 November) not held yet.
    world.review(first, due_on=date(2026, 10, 19), held_on=date(2026, 10, 19), next_review_on=date(2026, 11, 30))
    world.review(second, due_on=date(2026, 11, 3), held_on=date(2026, 11, 10), next_review_on=date(2026, 12, 22))
    with app.app_context():
        # Concerns: shared in the same morning, in the same afternoon, in a later session; one never sent.
        _concern(world, first, at(30, 9), at(30, 11, 30))
        _concern(world, first, at(30, 13), at(30, 15))
        _concern(world, second, at(27, 10), at(27, 13))
        _concern(world, second, at(30, 10), None)
        # Notices: acknowledged before 08:00 the next school day (Tuesday; Monday after a weekend), after it,
        # never (late: its deadline has passed), and one shared today that still has time.
        _notice(world, first, at(30, 15), at(1, 7, 30, month=12))
        _notice(world, first, at(27, 16), at(30, 7, 59))
        _notice(world, second, at(30, 10), at(1, 9, month=12))
        _notice(world, second, at(27, 16), None)
        _notice(world, second, at(1, 10, month=12), None)
        _agreement(world, school, provider, incidents_within_hours=24)
        db.session.add(
            KcsieConfirmation(
                organisation_id=provider,
                signed_by_id=world._someone(provider),
                typed_name="Pat Manager",
                signer_role="Manager",
                statement_version="1",
                statement_text="We confirm",
            )
        )
        db.session.commit()
    return first, second


@pytest.fixture
def setting(world):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    return school, provider


def _report(provider):
    profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
    return compliance.compliance_of(profile, half_terms.current_period(profile.school_id))


@freeze_time(NOW)
def test_each_figure_against_a_hand_built_history(app, world, setting):
    school, provider = setting
    _history(app, world, school, provider)
    with app.app_context():
        report = _report(provider)
        figures = {t.key: (t.within, t.total, t.percent, t.rag) for t in report.terms}
        assert figures["incidents"] == (1, 2, 50.0, "red")
        assert figures["concerns"] == (2, 3, 66.7, "red")  # the unsent concern is not counted
        assert figures["notices"] == (2, 4, 50.0, "red")  # today's notice still has time
        assert figures["reviews"] == (1, 3, 33.3, "red")  # one on time, one late, one overdue
        assert figures["confirmation"] == (1, 1, None, "green")
        missing = len(required_evidence(ProviderType.UNREGISTERED_AP))
        assert missing > 0
        assert figures["evidence"] == (0, 1, None, "red") and len(report.term("evidence").events) == missing
        # Attendance: two Monday-morning sessions a week, none marked.
        assert report.attendance.on_time == 0 and report.attendance.missing > 0 and figures["attendance"][3] == "red"
        assert report.overall == "red"

        late_incident = report.term("incidents").late
        assert [e.when for e in late_incident] == ["23 November 2026 at 09:00"]
        assert "after 30 hours" in late_incident[0].what
        assert [e.when for e in report.term("concerns").late] == ["27 November 2026, morning"]
        assert [e.what for e in report.term("notices").late] == [
            "Not acknowledged yet",
            "Acknowledged 1 December 2026 at 09:00",
        ]
        overdue = report.term("reviews").late
        assert [e.when for e in overdue] == ["10 November 2026", "Due 30 November 2026"]
        # Concerns and notices are listed by date only: nothing of what they say.
        described = str([(e.when, e.what) for t in report.terms for e in t.events])
        assert "Secret" not in described and "neglect" not in described and "operation" not in described


@freeze_time(NOW)
def test_without_an_agreement_the_defaults_apply_and_terms_left_out_are_not_rated(app, world, setting):
    school, provider = setting
    placement = world.placement(school, provider, start=date(2026, 11, 30), timetable=["mon_am"])
    world.incident(placement, occurred_at=at(30, 9), reported_at=at(1, 8, month=12))  # 23 hours
    with app.app_context():
        _concern(world, placement, at(30, 10), at(30, 14))  # late
        db.session.commit()
        report = _report(provider)
        assert report.agreement is None and report.term("incidents").rag == "green"
        assert "within 24 hours" in report.term("incidents").name
        assert report.term("concerns").rag == "red"

        _agreement(world, school, provider, incidents_within_hours=12, concerns_same_session=False)
        db.session.commit()
        report = _report(provider)
        assert report.term("incidents").rag == "red"
        concerns = report.term("concerns")
        assert not concerns.agreed and concerns.rag is None and concerns.percent == 0.0


def test_rag_thresholds_and_the_overall_status(app):
    with app.app_context():
        term = compliance.Term("incidents", "Incidents", True)
        assert [compliance._rate(term, n, 100, "x").rag for n in (100, 95, 94, 85, 84)] == [
            "green",
            "green",
            "amber",
            "amber",
            "red",
        ]
        assert compliance._rate(term, 0, 0, "incidents").rag is None
        app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"] = 80, 50
        try:
            assert [compliance._rate(term, n, 100, "x").rag for n in (80, 79, 50, 49)] == [
                "green",
                "amber",
                "amber",
                "red",
            ]
        finally:
            del app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"]

        def report(*rags, unagreed=None):
            terms = [compliance.Term(f"t{i}", "t", True, rag=rag) for i, rag in enumerate(rags)]
            if unagreed:
                terms.append(compliance.Term("x", "x", False, rag=unagreed))
            return compliance.Compliance(None, None, None, None, terms)

        assert report("green", "amber", None).overall == "amber"
        assert report("green", "red", "amber").overall == "red"
        assert report("green", "green", unagreed="red").overall == "green"
        assert report(None, None).overall is None


@freeze_time(NOW)
def test_the_provider_sees_the_same_numbers_as_the_school(app, world, new_browser, setting):
    school, provider = setting
    first, _ = _history(app, world, school, provider)
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    provider_dsl = new_browser()
    provider_dsl.sign_in(world.user(provider, [roles.PROVIDER_DSL]))
    school_page = html(lead.get(f"/school/providers/{provider}/agreement"))
    portal_page = html(provider_dsl.get("/portal/agreement"))
    for page in (school_page, portal_page):
        assert "1 of 2 incidents reported in time (50.0%)" in page
        assert "2 of 3 concerns shared in the same session (66.7%)" in page
        assert "2 of 4 notices acknowledged in time (50.0%)" in page
        assert "1 of 3 reviews held on time (33.3%)" in page
        assert "Signed and current" in page and "required documents out of date or missing today" in page
        assert "What this figure is made of" in page and "Red: not meeting the agreement" in page
        assert "Secret words" not in page
    # The school's events link to what made them; the provider's do not reach the school's pages.
    assert (
        "/school/incidents/" in school_page
        and f"/school/placements/{first}" in school_page
        and "/school/reviews/" in school_page
    )
    assert "/school/" not in portal_page.split("How well the agreement is kept")[1]
    # The provider's manager sees the same figures except the notices, which only its DSL may know exist.
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    manager_page = html(manager.get("/portal/agreement"))
    assert "1 of 2 incidents reported in time (50.0%)" in manager_page
    assert "notices acknowledged" not in manager_page and "Notices acknowledged in time" not in manager_page


@freeze_time(NOW)
def test_the_compliance_page_lists_every_approved_provider(app, world, browser, setting):
    school, provider = setting
    _history(app, world, school, provider)
    quiet = world.provider(school, "Quiet Farm", ProviderStatus.APPROVED, provider_type="tutor")
    world.provider(school, "Still Onboarding", ProviderStatus.ONBOARDING)
    browser.sign_in(world.user(school, [roles.HEADTEACHER]))
    page = html(browser.get("/school/compliance"))
    assert "Northside Learning" in page and "Quiet Farm" in page and "Still Onboarding" not in page
    assert f"/school/providers/{provider}/agreement" in page and f"/school/providers/{quiet}/agreement" in page
    rows = page.split("<tbody")[1].split("</tr>")
    northside = next(r for r in rows if "Northside Learning" in r)
    quiet_row = next(r for r in rows if "Quiet Farm" in r)
    # Northside: red attendance, incidents, concerns, notices, reviews, evidence; green confirmation; red overall.
    assert northside.count(">Red<") == 7 and northside.count(">Green<") == 1
    # Quiet Farm: nothing to measure but missing evidence and no confirmation.
    assert quiet_row.count(">Red<") == 3 and quiet_row.count("Not rated") == 5


def _count_queries(app, browser, url) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@freeze_time(NOW)
def test_the_compliance_page_costs_the_same_queries_for_one_provider_as_for_four(app, world, new_browser):
    counts = []
    for how_many in (1, 4):
        school = world.school(f"School with {how_many}")
        for n in range(how_many):
            provider = world.provider(school, f"Provider {n}", ProviderStatus.APPROVED, provider_type="tutor")
            _history(app, world, school, provider)
        browser = new_browser()
        browser.sign_in(world.user(school, [roles.AP_LEAD]))
        browser.get("/school/compliance")  # warm up anything cached per process
        counts.append(_count_queries(app, browser, "/school/compliance"))
    assert counts[0] == counts[1] and counts[1] <= 20, counts


@freeze_time(NOW)
def test_only_the_school_leaders_see_the_compliance_page(world, new_browser, setting):
    school, provider = setting
    for role in (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT):
        leader = new_browser()
        leader.sign_in(world.user(school, [role]))
        assert leader.get("/school/compliance").status_code == 200
    for role in (roles.SENDCO, roles.DSL, roles.ATTENDANCE_LEAD):
        other = new_browser()
        other.sign_in(world.user(school, [role]))
        assert other.get("/school/compliance").status_code == 403
    for role in (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL):
        outsider = new_browser()
        outsider.sign_in(world.user(provider, [role]))
        assert outsider.get("/school/compliance").status_code == 403
