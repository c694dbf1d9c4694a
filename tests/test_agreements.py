"""The service level agreement: recorded by the AP lead, read by the school's leaders and by the provider, and the
attendance-on-time figure both sides see. Frozen time throughout (the school's clock is Europe/London)."""

from datetime import date

import pytest
from freezegun import freeze_time

from shared import roles
from shared.extensions import db
from shared.models import AttendanceMark, AuditEvent, Placement, ProviderStatus, ServiceAgreement
from shared.services.agreements import terms as agreements
from shared.services.school_calendar import half_terms
from tests.support.world import link_of

MONDAY = date(2026, 11, 30)


def html(response) -> str:
    return response.get_data(as_text=True)


TUESDAY = date(2026, 12, 1)

GOOD = {
    "starts_on": ["1", "9", "2026"],
    "ends_on": ["", "", ""],
    "incidents_within_hours": "24",
    "reviews_every_weeks": "6",
    "commitments": ["concerns_same_session", "evidence_in_date"],
    "behaviour_expectations": "Calm, kind, safe",
    "reporting_procedures": "Phone the AP lead first",
    "cost_per_session": "45.50",
    "cost_per_week": "",
}


@pytest.fixture
def setting(world):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    other = world.provider(school, "Southside Skills", ProviderStatus.APPROVED)
    return school, provider, other


def _form(data):
    return dict(data)


@freeze_time("2026-11-30 12:00:00")
def test_the_ap_lead_records_the_agreement_and_the_provider_sees_it(app, world, browser, new_browser, setting):
    school, provider, other = setting
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    url = f"/school/providers/{provider}/agreement"
    assert "No agreement has been recorded" in html(browser.get(url))
    response = browser.submit(f"{url}/edit", _form(GOOD))
    assert response.status_code == 302 and response.location.endswith(url)
    page = html(browser.get(url))
    assert "24 hours" in page and "6 weeks" in page and "£45.50 a session" in page and "Not agreed a week" not in page
    assert "Calm, kind, safe" in page and "10:00" in page and f"/school/providers/{provider}/deadlines" in page
    assert "Safeguarding concerns are shared with the school in the same session" in page
    assert "Notices from the school are acknowledged" not in page

    # Changing it names the terms that changed in the audit, never their text.
    browser.submit(f"{url}/edit", _form(GOOD | {"incidents_within_hours": "12", "behaviour_expectations": "Be calm"}))
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="agreement.saved").order_by(AuditEvent.seq).all()
        assert len(events) == 2 and "cost_per_session_pence" in events[0].details["fields"]
        assert events[1].details["fields"] == ["behaviour_expectations", "incidents_within_hours"]
        assert "Be calm" not in str(events[1].details)
        assert db.session.query(ServiceAgreement).one().incidents_within_hours == 12

    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    page = html(manager.get("/portal/agreement"))
    assert "12 hours" in page and "Be calm" in page and "£45.50 a session" in page

    # Another provider sees only its own (empty) agreement, and cannot reach this one's.
    stranger = new_browser()
    stranger.sign_in(world.user(other, [roles.PROVIDER_MANAGER]))
    page = html(stranger.get("/portal/agreement"))
    assert "has not recorded an agreement" in page and "Be calm" not in page and "12 hours" not in page
    other_school = world.school("Other School")
    outsider = new_browser()
    outsider.sign_in(world.user(other_school, [roles.AP_LEAD]))
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}/edit", {}).status_code == 404


@freeze_time("2026-11-30 12:00:00")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"incidents_within_hours": "a day"}, "Enter the hours as a whole number, like 24"),
        ({"incidents_within_hours": "0"}, "Incidents must be reported within 1 to 168 hours (one week)"),
        ({"reviews_every_weeks": "-1"}, "Enter the weeks as a whole number, like 6"),
        ({"reviews_every_weeks": "60"}, "Reviews must be held at least every 1 to 52 weeks"),
        ({"cost_per_week": "lots"}, "Cost per week must be an amount in pounds, like 45.50"),
        ({"cost_per_session": "1.234"}, "Cost per session must be an amount in pounds, like 45.50"),
        ({"cost_per_session": "1e40"}, "Cost per session must be an amount in pounds, like 45.50"),
        ({"cost_per_session": "-3"}, "Cost per session must be an amount in pounds, like 45.50"),
        ({"ends_on": ["1", "8", "2026"]}, "The end date must be on or after the start date"),
        ({"starts_on": ["", "", ""]}, "Enter the date the agreement starts"),
    ],
)
def test_bad_terms_are_explained_and_nothing_is_saved(app, world, browser, setting, change, message):
    school, provider, _ = setting
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    response = browser.submit(f"/school/providers/{provider}/agreement/edit", _form(GOOD | change))
    assert response.status_code == 200 and message in html(response) and "There is a problem" in html(response)
    with app.app_context():
        assert db.session.query(ServiceAgreement).count() == 0


@freeze_time("2026-11-30 12:00:00")
def test_only_the_ap_lead_changes_it_and_leaders_read_it(world, new_browser, setting):
    school, provider, _ = setting
    url = f"/school/providers/{provider}/agreement"
    for role in (roles.HEADTEACHER, roles.SLT, roles.DSL):
        reader = new_browser()
        reader.sign_in(world.user(school, [role]))
        page = reader.get(url)
        assert page.status_code == 200 and "Record the agreement" not in html(page)
        assert reader.get(f"{url}/edit").status_code == 403
    for role in (roles.SENDCO, roles.GOVERNOR):
        nobody = new_browser()
        nobody.sign_in(world.user(school, [role]))
        assert nobody.get(url).status_code == 403
    staff = new_browser()
    staff.sign_in(world.user(provider, [roles.PROVIDER_STAFF]))
    assert staff.get("/portal/agreement").status_code == 403


def _history(app, world, school, provider):
    """Monday and Tuesday AM and PM due by Tuesday evening; Wednesday morning not yet due."""
    placement = world.placement(
        school, provider, start=MONDAY, timetable=["mon_am", "mon_pm", "tue_am", "tue_pm", "wed_am"]
    )
    with app.app_context():
        p = db.session.get(Placement, placement)
        for day, session, late in ((MONDAY, "AM", False), (MONDAY, "PM", True), (TUESDAY, "AM", False)):
            db.session.add(
                AttendanceMark(
                    placement_id=p.id,
                    school_id=school,
                    provider_id=provider,
                    pupil_id=p.pupil_id,
                    day=day,
                    session=session,
                    kind="present",
                    code="B",
                    submitted_late=late,
                )
            )
        db.session.commit()
    return placement


@freeze_time("2026-12-01 18:00:00")
def test_attendance_on_time_counts_on_time_late_and_missing(app, world, new_browser, setting):
    school, provider, other = setting
    _history(app, world, school, provider)
    with app.app_context():
        figure = agreements.attendance_on_time(provider, MONDAY, date(2026, 12, 4))
        assert (figure.expected, figure.on_time, figure.late, figure.missing, figure.percent) == (4, 2, 1, 1, 50.0)
        assert figure.rag == "red"
        assert agreements.attendance_on_time(other, MONDAY, date(2026, 12, 4)).percent is None
        # The current term is the school year the placement's term covers.
        assert half_terms.current_period(school).start == date(2026, 9, 1)
        # The compliance term says the same, one line per pupil for each kind of lapse.
        from shared.models import ProviderProfile
        from shared.services.agreements import compliance

        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        term = compliance.compliance_of(link_of(profile.organisation_id), half_terms.current_period(school)).term(
            "attendance"
        )
        assert (term.within, term.total) == (2, 4)
        assert sorted((e.when, e.what.split(": ")[1]) for e in term.events) == [
            ("1 December 2026", "1 session not marked"),
            ("30 November 2026", "1 session marked after the deadline"),
        ]

    # Both sides see the same figure.
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.HEADTEACHER]))
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_DSL]))
    for page in (html(lead.get(f"/school/providers/{provider}/agreement")), html(manager.get("/portal/agreement"))):
        assert "50.0% on time" in page and "Red: not meeting the agreement" in page


def test_rag_thresholds_come_from_configuration(app):
    with app.app_context():
        assert [agreements.rag_status(p) for p in (100, 95, 94.9, 85, 84.9, None)] == [
            "green",
            "green",
            "amber",
            "amber",
            "red",
            None,
        ]
        app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"] = 99, 50
        try:
            assert [agreements.rag_status(p) for p in (99, 98, 50, 49)] == ["green", "amber", "amber", "red"]
        finally:
            del app.config["SLA_GREEN_AT"], app.config["SLA_AMBER_AT"]


@freeze_time("2026-11-30 12:00:00")
def test_without_a_current_term_the_period_is_the_last_six_weeks(app, world):
    school = world.school()
    with app.app_context():
        period = half_terms.current_period(school)
        assert (period.start, period.end, period.name) == (date(2026, 10, 19), MONDAY, "the last 6 weeks")
