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
from shared.services.agreements import compliance, compliance_terms
from shared.services.school_calendar import half_terms
from tests.support.world import link_of

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
                school_id=school,
                signed_by_id=world._someone(provider),
                typed_name="Pat Manager",
                signer_role="Manager",
                statement_version="1",
                statement_text="We confirm",
                signed_at=at(1, 8, month=9),
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
    return compliance.compliance_of(
        link_of(profile.organisation_id), half_terms.current_period(link_of(profile.organisation_id).school_id)
    )


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
        # 1 September to 1 December: 92 days so far, a confirmation on all of them, no evidence on any.
        assert figures["confirmation"] == (92, 92, 100.0, "green")
        missing = len(required_evidence(ProviderType.UNREGISTERED_AP))
        assert missing > 0
        assert figures["evidence"] == (0, 92, 0.0, "red") and len(report.term("evidence").events) == missing
        assert report.term("evidence").events[0].what == (
            "Out of date or missing 1 September 2026 to 1 December 2026 (92 days)"
        )
        # Attendance: two Monday-morning sessions a week, none marked: one line per pupil, not one per session.
        assert report.attendance.on_time == 0 and report.attendance.missing == 13 + 11
        assert figures["attendance"][3] == "red"
        assert sorted(e.when for e in report.term("attendance").events) == [
            "21 September 2026 to 30 November 2026",
            "7 September 2026 to 30 November 2026",
        ]
        assert sorted(e.what.split(": ")[1] for e in report.term("attendance").events) == [
            "11 sessions not marked",
            "13 sessions not marked",
        ]
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
        term = compliance_terms.Term("incidents", "Incidents", True)
        assert [compliance_terms.rate(term, n, 100, "x").rag for n in (100, 95, 94, 85, 84)] == [
            "green",
            "green",
            "amber",
            "amber",
            "red",
        ]
        assert compliance_terms.rate(term, 0, 0, "incidents").rag is None
        app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"] = 80, 50
        try:
            assert [compliance_terms.rate(term, n, 100, "x").rag for n in (80, 79, 50, 49)] == [
                "green",
                "amber",
                "amber",
                "red",
            ]
        finally:
            del app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"]

        def report(*rags, unagreed=None):
            terms = [compliance_terms.Term(f"t{i}", "t", True, rag=rag) for i, rag in enumerate(rags)]
            if unagreed:
                terms.append(compliance_terms.Term("x", "x", False, rag=unagreed))
            return compliance_terms.Compliance(None, None, None, None, terms)

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
    pages = {
        "school agreement": html(lead.get(f"/school/providers/{provider}/agreement")),
        "portal agreement": html(provider_dsl.get("/portal/agreement")),
        "school compliance": html(lead.get(f"/school/compliance/providers/{provider}")),
        "portal compliance": html(provider_dsl.get("/portal/compliance")),
    }
    for name, page in pages.items():
        assert "1 of 2 incidents reported in time (50.0%)" in page, name
        assert "2 of 3 concerns shared in the same session (66.7%)" in page, name
        assert "2 of 4 notices acknowledged in time (50.0%)" in page, name
        assert "1 of 3 reviews held on time (33.3%)" in page, name
        assert "Signed and current on all 92 days so far" in page, name
        assert "0 of 92 days with every required document in date (0.0%)" in page, name
        assert "Secret words" not in page, name
    # Each figure on an agreement page is one click from what made it, on the compliance page.
    assert f'href="/school/compliance/providers/{provider}#term-incidents"' in pages["school agreement"]
    assert 'href="/portal/compliance#term-incidents"' in pages["portal agreement"]
    # The school's events link to what made them; the provider's do not reach the school's pages.
    school_page, portal_page = pages["school compliance"], pages["portal compliance"]
    assert "/school/incidents/" in school_page and f"/school/placements/{first}" in school_page
    assert "/school/reviews/" in school_page
    assert "/school/" not in portal_page.split("How well you keep the agreement</h1>")[1]
    # The provider's manager sees the same figures except the notices, which only its DSL may know exist.
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    for url in ("/portal/agreement", "/portal/compliance"):
        manager_page = html(manager.get(url))
        assert "1 of 2 incidents reported in time (50.0%)" in manager_page
        assert "otices acknowledged" not in manager_page


@freeze_time(NOW)
def test_the_compliance_page_lists_every_approved_provider(app, world, browser, setting):
    school, provider = setting
    _history(app, world, school, provider)
    quiet = world.provider(school, "Quiet Farm", ProviderStatus.APPROVED, provider_type="tutor")
    world.provider(school, "Still Onboarding", ProviderStatus.ONBOARDING)
    browser.sign_in(world.user(school, [roles.HEADTEACHER]))
    page = html(browser.get("/school/compliance"))
    assert "Northside Learning" in page and "Quiet Farm" in page and "Still Onboarding" not in page
    assert (
        f"/school/compliance/providers/{provider}?period=" in page and f"/school/compliance/providers/{quiet}?" in page
    )
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


# --- half-terms, days out of date, each placement, the trend ---------------------------------------------------------


def _autumn_with_half_term(world, school):
    """Autumn 2026 with its half-term holiday (26 to 30 October): halves 1 Sep-25 Oct and 31 Oct-18 Dec."""
    from shared.models import SchoolTerm

    with world.app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="Autumn 2026",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 18),
                half_term_starts=date(2026, 10, 26),
                half_term_ends=date(2026, 10, 30),
            )
        )
        db.session.commit()


def _verified(world, provider, kind, reviewed_on, expiry=None, status="verified"):
    from shared.models import DocumentStatus, EvidenceDocument

    document = world.document_row(provider, kind, status=status)
    with world.app.app_context():
        row = db.session.get(EvidenceDocument, document)
        row.reviewed_at = datetime.combine(reviewed_on, datetime.min.time(), tzinfo=UTC).replace(hour=9)
        row.expiry_date = expiry
        row.status = DocumentStatus(status)
        db.session.commit()


@freeze_time(NOW)
def test_evidence_counts_the_days_out_of_date_in_the_period(app, world, setting):
    """Every required document verified from 1 November, except the insurance: a first certificate verified on
    1 November ran out on 20 November; its replacement was verified on 25 November (the old one is superseded but
    still covered its own dates). Out of date: 20 to 24 November, 5 of the 31 days of the half-term so far."""
    school, provider = setting
    _autumn_with_half_term(world, school)
    kinds = [kind.code for kind in required_evidence(ProviderType.UNREGISTERED_AP)]
    insurance = next(code for code in kinds if "insurance" in code)
    for code in kinds:
        if code != insurance:
            _verified(world, provider, code, date(2026, 10, 31))
    _verified(world, provider, insurance, date(2026, 10, 31), expiry=date(2026, 11, 20), status="superseded")
    _verified(world, provider, insurance, date(2026, 11, 25), expiry=date(2027, 11, 25))
    with app.app_context():
        report = _report(provider)
        assert report.period.name == "Autumn 2026, second half"
        evidence = report.term("evidence")
        # 31 October to 1 December: 32 days so far, 5 of them out of date.
        assert (evidence.within, evidence.total, evidence.percent) == (27, 32, 84.4)
        assert evidence.rag == "red"
        assert evidence.summary == "27 of 32 days with every required document in date"
        assert [e.what for e in evidence.events] == [
            "Out of date or missing 20 November 2026 to 24 November 2026 (5 days)"
        ]
        # The first half-term: nothing verified before 31 October, so every day of it is out of date.
        first_half = compliance.compliance_of(
            link_of(provider, school),
            half_terms.half_terms(school)[0],
        )
        assert first_half.term("evidence").within == 0 and first_half.term("evidence").total == 55


@freeze_time(NOW)
def test_each_placement_has_its_own_figures_under_its_own_terms(app, world, setting):
    school, provider = setting
    first, second = _history(app, world, school, provider)
    with app.app_context():
        # The second placement's own terms allow 36 hours for an incident report: its 30-hour report is in time.
        someone = world._someone(school)
        db.session.add(
            ServiceAgreement(
                school_id=school,
                provider_id=provider,
                placement_id=second,
                starts_on=date(2026, 9, 1),
                incidents_within_hours=36,
                created_by_id=someone,
                updated_by_id=someone,
            )
        )
        db.session.commit()
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        period = half_terms.current_period(school)
        sources = compliance.load(school, [link_of(profile.organisation_id, school)], period)
        placements = {p.id: p for p in sources.placements[provider]}
        one = compliance.figures(sources, link_of(profile.organisation_id, school), period, placement=placements[first])
        two = compliance.figures(
            sources, link_of(profile.organisation_id, school), period, placement=placements[second]
        )
        assert (one.term("incidents").within, one.term("incidents").total) == (1, 1)
        assert (two.term("incidents").within, two.term("incidents").total) == (1, 1)
        assert "within 36 hours" in two.term("incidents").name and two.agreement.placement_id == second
        assert (one.term("concerns").within, one.term("concerns").total) == (2, 2)
        assert (two.term("concerns").within, two.term("concerns").total) == (0, 1)
        assert (one.term("reviews").within, one.term("reviews").total) == (1, 2)  # on time, then overdue
        assert (two.term("reviews").within, two.term("reviews").total) == (0, 1)  # a week late
        # The provider's figure now counts the 30-hour report as in time (the placement's terms).
        whole = compliance.figures(sources, link_of(profile.organisation_id, school), period)
        assert (whole.term("incidents").within, whole.term("incidents").total) == (2, 2)
        assert "the limit for this pupil is 36 hours" in whole.term("incidents").events[0].what


@freeze_time(NOW)
def test_each_placements_marks_count_for_that_placement_alone(app, world, setting):
    """Two pupils at the same provider, marked for the same days and sessions: each placement's figure counts its own
    marks (on time, late or missing), never the other's, and the provider's adds them up."""
    school, provider = setting
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    timetable = ["mon_am", "mon_pm", "tue_am"]  # three sessions due by Tuesday evening
    first = world.placement(school, provider, start=monday, timetable=timetable)
    second = world.placement(school, provider, start=monday, timetable=timetable)
    world.mark(first, monday, "AM", submitted_late=False)
    world.mark(first, monday, "PM", submitted_late=False)  # Tuesday morning: not marked
    world.mark(second, monday, "AM", submitted_late=True)  # Monday afternoon: not marked
    world.mark(second, tuesday, "AM", submitted_late=True)
    with app.app_context():
        link = link_of(provider, school)
        period = half_terms.current_period(school)
        sources = compliance.load(school, [link], period)
        placements = {p.id: p for p in sources.placements[provider]}
        one = compliance.figures(sources, link, period, placement=placements[first]).attendance
        two = compliance.figures(sources, link, period, placement=placements[second]).attendance
        assert (one.expected, one.on_time, one.late, one.missing) == (3, 2, 0, 1)
        assert (two.expected, two.on_time, two.late, two.missing) == (3, 0, 2, 1)
        whole = compliance.figures(sources, link, period)
        assert (whole.attendance.on_time, whole.attendance.late, whole.attendance.missing) == (2, 2, 2)
        assert sorted((e.when, e.what.split(": ")[1]) for e in whole.term("attendance").events) == [
            ("1 December 2026", "1 session not marked"),
            ("30 November 2026", "1 session not marked"),
            ("30 November 2026 to 1 December 2026", "2 sessions marked after the deadline"),
        ]


@freeze_time(NOW)
def test_the_latest_review_before_the_period_decides_whether_one_is_overdue(app, world, setting):
    """Only the reviews held in the period and each placement's latest before it count: an earlier review's date is
    replaced by the next one's. The figures for the second half-term are the same whether loaded over it alone or over
    the whole term (as the trend does)."""
    school, provider = setting
    _autumn_with_half_term(world, school)
    start = date(2026, 9, 7)
    # Reviewed on 19 October, which set 14 December: not due yet (the review before set 19 October).
    kept_up = world.placement(school, provider, world.pupil(school, first_name="Kept", last_name="Marsh"), start=start)
    world.review(kept_up, due_on=date(2026, 9, 21), held_on=date(2026, 9, 21), next_review_on=date(2026, 10, 19))
    world.review(kept_up, due_on=date(2026, 10, 19), held_on=date(2026, 10, 19), next_review_on=date(2026, 12, 14))
    # Reviewed on 19 October, which brought the next one forward to 16 November: overdue.
    brought_forward = world.placement(
        school, provider, world.pupil(school, first_name="Forward", last_name="Marsh"), start=start
    )
    world.review(
        brought_forward, due_on=date(2026, 9, 21), held_on=date(2026, 9, 21), next_review_on=date(2026, 12, 14)
    )
    world.review(
        brought_forward, due_on=date(2026, 10, 19), held_on=date(2026, 10, 19), next_review_on=date(2026, 11, 16)
    )
    # Reviewed a day late in the second half-term (9 November was due), after one in the first that set it.
    late = world.placement(school, provider, world.pupil(school, first_name="Late", last_name="Marsh"), start=start)
    world.review(late, due_on=date(2026, 10, 12), held_on=date(2026, 10, 12), next_review_on=date(2026, 11, 9))
    world.review(late, due_on=date(2026, 11, 9), held_on=date(2026, 11, 10), next_review_on=date(2027, 1, 4))
    with app.app_context():
        link = link_of(provider, school)
        first_half, second_half = half_terms.half_terms(school)
        assert second_half.start == date(2026, 10, 31)
        alone = compliance.load(school, [link], second_half)
        term = compliance.load(school, [link], compliance.Period(first_half.start, second_half.end, "autumn"))
        reviews = [compliance.figures(sources, link, second_half).term("reviews") for sources in (alone, term)]
        for figure in reviews:
            assert (figure.within, figure.total) == (0, 2)
            assert sorted((e.when, e.what) for e in figure.events) == [
                ("10 November 2026", "Late Marsh: due 9 November 2026"),
                ("Due 16 November 2026", "Forward Marsh: not held yet"),
            ]
        # The first half-term, from the whole term's load: the five reviews held in it, all on time, none overdue.
        first = compliance.figures(term, link, first_half).term("reviews")
        assert (first.within, first.total) == (5, 5)


@freeze_time(NOW)
def test_the_trend_gives_each_half_term_its_own_figures(app, world, setting):
    school, provider = setting
    _autumn_with_half_term(world, school)
    placement = world.placement(school, provider, start=date(2026, 9, 7), timetable=["mon_am"])
    # First half: an incident reported in 2 hours. Second half: one reported after 30 hours.
    world.incident(placement, occurred_at=at(5, 10, month=10), reported_at=at(5, 12, month=10))
    world.incident(placement, occurred_at=at(23, 9), reported_at=at(24, 15))
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        periods = half_terms.half_terms(school)
        sources = compliance.load(
            school,
            [link_of(profile.organisation_id, school)],
            compliance.Period(periods[0].start, periods[1].end, "autumn"),
        )
        trend = compliance.trend(sources, link_of(profile.organisation_id, school), periods)
        assert [p.name for p in trend.periods] == ["Autumn 2026, first half", "Autumn 2026, second half"]
        assert trend.values["incidents"] == [100.0, 0.0]
        assert trend.values["concerns"] == [None, None]
        assert trend.overall[1] == "red"


@freeze_time(NOW)
def test_the_provider_compliance_page_offers_the_half_terms_and_each_placement(app, world, new_browser, setting):
    school, provider = setting
    _autumn_with_half_term(world, school)
    placement = world.placement(school, provider, start=date(2026, 9, 7), timetable=["mon_am"])
    world.incident(placement, occurred_at=at(5, 10, month=10), reported_at=at(5, 12, month=10))
    world.incident(placement, occurred_at=at(23, 9), reported_at=at(24, 15))
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(lead.get(f"/school/compliance/providers/{provider}"))
    assert "Autumn 2026, second half" in page and "0 of 1 incidents reported in time (0.0%)" in page
    assert 'href="#term-incidents"' in page and 'id="term-incidents"' in page  # one click to the events
    assert 'role="img"' in page and "Incidents reported in time by half-term: Autumn 2026, first half: 100.0%" in page
    assert f"/school/compliance/placements/{placement}" in page
    first_half = html(lead.get(f"/school/compliance/providers/{provider}?period=2026-09-01_2026-10-25"))
    assert "1 of 1 incidents reported in time (100.0%)" in first_half
    unknown = html(lead.get(f"/school/compliance/providers/{provider}?period=1999-01-01_1999-02-01"))
    assert "That period is not in the school calendar" in unknown
    one = html(lead.get(f"/school/compliance/placements/{placement}?period=2026-09-01_2026-10-25"))
    assert "1 of 1 incidents reported in time (100.0%)" in one and "under the provider's agreement" in one
    # Another school's provider or placement is not found.
    other_school = world.school("Other School")
    outsider = new_browser()
    outsider.sign_in(world.user(other_school, [roles.AP_LEAD]))
    assert outsider.get(f"/school/compliance/providers/{provider}").status_code == 404
    assert outsider.get(f"/school/compliance/placements/{placement}").status_code == 404


@freeze_time(NOW)
def test_the_provider_sees_its_own_compliance_page_with_the_same_figures(app, world, new_browser, setting):
    school, provider = setting
    _history(app, world, school, provider)
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    school_page = html(lead.get(f"/school/compliance/providers/{provider}"))
    provider_dsl = new_browser()
    provider_dsl.sign_in(world.user(provider, [roles.PROVIDER_DSL]))
    portal_page = html(provider_dsl.get("/portal/compliance"))
    for page in (school_page, portal_page):
        assert "1 of 2 incidents reported in time (50.0%)" in page
        assert "2 of 4 notices acknowledged in time (50.0%)" in page
        assert "Secret words" not in page
    assert "/school/" not in portal_page.split("How well you keep the agreement</h1>")[1]
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    manager_page = html(manager.get("/portal/compliance"))
    assert "1 of 2 incidents reported in time (50.0%)" in manager_page
    assert "otices" not in manager_page  # not a word about notices, not even in the trend


# --- breaches ------------------------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_a_red_term_raises_one_breach_for_the_ap_lead_until_they_record_what_they_did(app, world, new_browser, setting):
    from shared.models import AuditEvent, ComplianceBreach
    from shared.services.agreements import breaches as compliance_breaches

    school, provider = setting
    _history(app, world, school, provider)
    with app.app_context():
        assert compliance_breaches.record_breaches(school) == 6  # every term red but the confirmation
        assert compliance_breaches.record_breaches(school) == 0  # once per term and half-term
        raised = db.session.query(ComplianceBreach).filter_by(provider_id=provider).all()
        assert sorted(b.term_key for b in raised) == sorted(
            ["attendance", "incidents", "concerns", "notices", "reviews", "evidence"]
        )
        incidents = next(b for b in raised if b.term_key == "incidents")
        assert incidents.summary == "1 of 2 incidents reported in time" and incidents.percent == 50.0
        assert db.session.query(AuditEvent).filter_by(action="compliance.breach_raised").count() == 6
    lead = world.user(school, [roles.AP_LEAD])
    browser = new_browser()
    browser.sign_in(lead)
    home = html(browser.get("/school/"))
    assert "6 breaches of a service level agreement need you to record what you did" in home
    listed = html(browser.get("/school/compliance/breaches"))
    assert "To deal with (6)" in listed and "Northside Learning" in listed
    # Empty: a plain message and nothing changed.
    refused = browser.post(f"/school/compliance/breaches/{incidents.id}", data={"action_taken": "  "})
    assert "Enter what you did about the breach" in html(refused)
    with app.app_context():
        assert db.session.get(ComplianceBreach, incidents.id).resolved_at is None
    done = browser.post(
        f"/school/compliance/breaches/{incidents.id}",
        data={"action_taken": "Met the manager; incident reports now go the same day."},
        follow_redirects=True,
    )
    assert "Breach closed" in html(done) and "To deal with (5)" in html(done)
    assert "Met the manager" in html(done)
    assert "5 breaches of a service level agreement" in html(browser.get("/school/"))
    with app.app_context():
        closed = db.session.get(ComplianceBreach, incidents.id)
        assert closed.resolved_by_id == lead.id and closed.resolved_at is not None
        event = db.session.query(AuditEvent).filter_by(action="compliance.breach_resolved").one()
        assert "Met the manager" not in str(event.details)
    # Another school's AP lead cannot see or close it.
    outsider = new_browser()
    outsider.sign_in(world.user(world.school("Other School"), [roles.AP_LEAD]))
    assert outsider.get(f"/school/compliance/breaches/{incidents.id}").status_code == 404
    assert "Northside" not in html(outsider.get("/school/compliance/breaches"))


@freeze_time(NOW)
def test_the_hourly_job_checks_every_school(app, world, setting):
    from shared.models import ComplianceBreach
    from shared.services.agreements import breaches as compliance_breaches

    school, provider = setting
    _history(app, world, school, provider)
    other = world.school("Quiet School")
    world.provider(other, "Quiet Provider", ProviderStatus.APPROVED, provider_type="tutor")
    world.term(other)
    no_calendar = world.school("No Calendar School")
    world.provider(no_calendar, "Unmeasured Provider", ProviderStatus.APPROVED, provider_type="tutor")
    with app.app_context():
        raised = compliance_breaches.record_all_breaches()
        assert raised == 6 + 2  # the quiet provider: no evidence, no confirmation
        assert db.session.query(ComplianceBreach).filter_by(school_id=other).count() == 2
        # Without a school calendar there is no half-term to hold a breach to (the fallback period moves daily).
        assert db.session.query(ComplianceBreach).filter_by(school_id=no_calendar).count() == 0


@freeze_time(NOW)
def test_ap_lead_is_told_of_providers_not_visited_for_six_weeks(app, world, new_browser, setting):
    school, provider = setting
    world.placement(school, provider, start=date(2026, 9, 7))
    lead = world.user(school, [roles.AP_LEAD])
    browser = new_browser()
    browser.sign_in(lead)
    words = "1 provider with pupils placed has not had a visit from the school in the last 6 weeks"
    assert words in html(browser.get("/school/"))
    world.visit(provider, visited_on=date(2026, 10, 19))  # 43 days before 1 December: still due
    assert words in html(browser.get("/school/"))
    world.visit(provider, visited_on=date(2026, 11, 20))
    assert words not in html(browser.get("/school/"))


@freeze_time(NOW)
def test_a_dsl_reads_the_agreement_without_links_to_pages_they_may_not_open(app, world, new_browser, setting):
    school, provider = setting
    _history(app, world, school, provider)
    dsl = new_browser()
    dsl.sign_in(world.user(school, [roles.DSL]))
    page = html(dsl.get(f"/school/providers/{provider}/agreement"))
    assert "1 of 2 incidents reported in time (50.0%)" in page
    assert "/school/compliance/" not in page
    assert dsl.get(f"/school/compliance/providers/{provider}").status_code == 403
