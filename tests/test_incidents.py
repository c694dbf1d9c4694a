"""Behaviour incidents: the provider reports (with the suspension rule), the school sees, acknowledges and records the
course of action, the provider sees both; serious ones e-mail the AP lead with nothing sensitive; a provider sees
and reports only about its own placed pupils. Frozen time (the school's clock is Europe/London)."""

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AuditEvent, Incident, IncidentPupil, ProviderStatus
from shared.notifications import deliver_outbox
from tests.support.client import html

NOW = "2026-11-30 15:00:00"  # a Monday in term, GMT: 15:00 at school


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    site = world.site(provider, "Workshop site")
    pupil = world.pupil(school, first_name="Jayden", last_name="Marsh", preferred_name="Jay")
    placement = world.placement(school, provider, pupil)
    return {
        "school": school,
        "provider": provider,
        "site": site,
        "placement": placement,
        "staff": world.user(provider, ["provider_staff"]),
        "ap_lead": world.user(school, ["ap_lead"], email="ap.lead@hillside.example"),
        "dsl": world.user(school, ["dsl"]),
        "sendco": world.user(school, ["sendco"]),
    }


def _report(setting, **changes) -> dict:
    data = {
        "occurred_on": ["30", "11", "2026"],
        "occurred_time": "11:15",
        "site_id": str(setting["site"]),
        "location": "Metal workshop",
        "placement_ids": [str(setting["placement"])],
        "incident_type": "damage_to_property",
        "severity": "medium",
        "description": "Kicked the workshop door until the glass cracked.",
        "actions_taken": "Moved to the quiet room with a mentor.",
        "physical_intervention": "no",
        "injury": "no",
        "parents_informed": "yes",
        "suspension": "no",
    }
    data.update(changes)
    return data


def _incidents(app):
    with app.app_context():
        return db.session.scalars(select(Incident)).all()


@freeze_time(NOW)
def test_the_report_form_explains_what_is_missing_and_the_suspension_rule(app, browser, setting):
    browser.sign_in(setting["staff"])
    page = html(browser.get("/portal/incidents/new"))
    assert "Safeguarding concerns are not incidents" in page
    assert "tell your DSL, who uses the safeguarding concern form" in page
    assert "Jay Marsh" in page and "Workshop site" in page

    response = browser.submit("/portal/incidents/new", {})
    page = html(response)
    assert response.status_code == 200
    for message in (
        "Enter the date of the incident",
        "Enter the time of the incident",
        "Choose where the incident happened",
        "Select the pupil or pupils involved",
        "Choose the type of incident",
        "Choose how serious the incident was",
        "Say what happened",
        "Say what actions were taken",
        "Say whether there was a physical intervention",
        "Say whether parents or carers have been told",
    ):
        assert message in page, message

    page = html(browser.submit("/portal/incidents/new", _report(setting, suspension="yes")))
    assert "A suspension at the provider is recorded only with the school&#39;s agreement noted" in page
    page = html(browser.submit("/portal/incidents/new", _report(setting, physical_intervention="yes")))
    assert "Describe the physical intervention" in page
    page = html(browser.submit("/portal/incidents/new", _report(setting, occurred_on=["1", "12", "2026"])))
    assert "The date and time of the incident must be in the past" in page
    page = html(browser.submit("/portal/incidents/new", _report(setting, site_id="elsewhere", location="")))
    assert "Say where the incident happened" in page
    assert _incidents(app) == []

    response = browser.submit(
        "/portal/incidents/new",
        _report(setting, suspension="yes", school_agreement="Mrs Patel (AP lead) by phone, 30 November at 12:00"),
    )
    assert response.status_code == 302
    page = html(browser.get(response.location))
    assert "Incident reported" in page
    assert "30 November 2026 at 11:15" in page and "Workshop site: Metal workshop" in page
    assert "Agreed by the school: Mrs Patel (AP lead)" in page
    assert "Not yet acknowledged by the school" in page
    (incident,) = _incidents(app)
    assert incident.occurred_at == datetime(2026, 11, 30, 11, 15, tzinfo=UTC)
    assert incident.suspension is True and incident.school_id == setting["school"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "incident.reported"))
        assert event.details == {"severity": "medium", "pupils": 1}


@freeze_time("2026-06-30 15:00:00")  # BST: 16:00 at school
def test_the_time_given_is_school_time_and_stored_in_utc(app, browser, world):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    placement = world.placement(school, provider)
    browser.sign_in(world.user(provider, ["provider_manager"]))
    data = _report(
        {"site": "", "placement": placement}, site_id="elsewhere", location="Park", occurred_on=["30", "6", "2026"]
    )
    assert browser.submit("/portal/incidents/new", {**data, "occurred_time": "2:30pm"}).status_code == 302
    (incident,) = _incidents(app)
    assert incident.occurred_at == datetime(2026, 6, 30, 13, 30, tzinfo=UTC)
    assert incident.location == "Park"
    assert "30 June 2026 at 14:30" in html(browser.get("/portal/incidents"))


@freeze_time(NOW)
def test_the_school_acknowledges_and_records_the_course_of_action_and_the_provider_sees_both(
    app, browser, new_browser, setting, world
):
    incident = world.incident(setting["placement"], description="Swore at a tutor.")
    world.incident(setting["placement"], occurred_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC))

    school = new_browser()
    school.sign_in(setting["dsl"])
    page = html(school.get("/school/incidents"))
    assert "Northside Learning" in page and "Jayden Marsh" in page and "Not acknowledged" in page
    assert page.index("30 November 2026") < page.index("2 November 2026")
    page = html(school.get(f"/school/incidents/{incident}"))
    assert "Swore at a tutor." in page
    assert "Record the course of action" not in page  # the AP lead's, not the DSL's
    response = school.submit(f"/school/incidents/{incident}", {}, post_url=f"/school/incidents/{incident}/acknowledge")
    assert response.status_code == 302
    page = html(school.get(response.location))
    assert "Incident acknowledged" in page and "30 November 2026 at 15:00 by Test dsl" in page
    # The unacknowledged one now comes first.
    page = html(school.get("/school/incidents"))
    assert page.index("2 November 2026") < page.index("30 November 2026")
    assert school.post(f"/school/incidents/{incident}/course-of-action", {"course_of_action": "x"}).status_code == 403

    lead = new_browser()
    lead.sign_in(setting["ap_lead"])
    url = f"/school/incidents/{incident}"
    page = html(lead.submit(url, {"course_of_action": "  "}, post_url=f"{url}/course-of-action"))
    assert "Write the course of action decided with SLT or the headteacher" in page
    response = lead.submit(
        url,
        {"course_of_action": "Agreed with the headteacher: restorative meeting on Wednesday."},
        post_url=f"{url}/course-of-action",
    )
    assert response.status_code == 302
    assert "restorative meeting on Wednesday" in html(lead.get(url))

    browser.sign_in(setting["staff"])
    page = html(browser.get("/portal/incidents"))
    assert "Acknowledged by the school on 30 November 2026" in page
    assert "Not yet acknowledged by the school" in page  # the older one
    page = html(browser.get(f"/portal/incidents/{incident}"))
    assert "Acknowledged by the school on 30 November 2026" in page
    assert "Agreed with the headteacher: restorative meeting on Wednesday." in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert "incident.acknowledged" in actions and "incident.course_recorded" in actions


@freeze_time(NOW)
def test_a_serious_incident_emails_the_ap_lead_without_anything_sensitive(app, browser, setting, mailbox):
    browser.sign_in(setting["staff"])
    description = "Punched another pupil in the corridor after a row about a phone."
    response = browser.submit(
        "/portal/incidents/new",
        _report(setting, severity="serious", incident_type="physical_assault_pupil", description=description),
    )
    assert response.status_code == 302
    assert "AP lead has been told at once" in html(browser.get(response.location))
    with app.app_context():
        assert deliver_outbox() == (1, 0)
    (message,) = mailbox.to("ap.lead@hillside.example")
    body = mailbox.body(message)
    assert "A serious incident has been reported by Northside Learning" in body
    assert "Northside Learning" in message["Subject"]
    (incident,) = _incidents(app)
    assert f"http://localhost/school/incidents/{incident.id}" in body
    for sensitive in (description, "Punched", "Jayden", "Jay ", "Marsh", "corridor", "Moved to the quiet room"):
        assert sensitive not in body and sensitive not in message["Subject"]
    assert not mailbox.to(setting["dsl"].email)  # the AP lead's decision; others see it in the list


@freeze_time(NOW)
def test_physical_intervention_or_injury_makes_it_serious_and_a_low_one_sends_nothing(app, browser, setting, mailbox):
    browser.sign_in(setting["staff"])
    browser.submit("/portal/incidents/new", _report(setting, severity="low"))
    with app.app_context():
        assert deliver_outbox() == (0, 0)
    browser.submit(
        "/portal/incidents/new",
        _report(setting, severity="low", injury="yes", injury_details="Graze to the knee; first aid given."),
    )
    with app.app_context():
        assert deliver_outbox() == (1, 0)
    assert len(mailbox.to("ap.lead@hillside.example")) == 1
    assert "Graze" not in mailbox.body(mailbox.messages[-1])


@freeze_time(NOW)
def test_another_provider_cannot_see_or_report_about_pupils_not_placed_with_it(app, new_browser, setting, world):
    incident = world.incident(setting["placement"])
    other = world.provider(setting["school"], "Southside Skills", ProviderStatus.APPROVED)
    their_placement = world.placement(setting["school"], other)
    stranger = new_browser()
    stranger.sign_in(world.user(other, ["provider_manager"]))
    assert stranger.get(f"/portal/incidents/{incident}").status_code == 404
    page = html(stranger.get("/portal/incidents"))
    assert "Jay Marsh" not in page and "You have not reported any incidents" in page
    page = html(stranger.get("/portal/incidents/new"))
    assert "Jay Marsh" not in page

    # A tampered pupil id (Northside's placement) is refused, and nothing is recorded.
    data = _report({"site": "", "placement": setting["placement"]}, site_id="elsewhere", location="Hall")
    response = stranger.submit("/portal/incidents/new", data)
    assert response.status_code == 200 and "Select only pupils placed with you" in html(response)
    # Northside's site is not theirs either.
    data = _report({"site": setting["site"], "placement": their_placement})
    assert "Choose where the incident happened" in html(stranger.submit("/portal/incidents/new", data))
    assert len(_incidents(app)) == 1

    # Another school sees nothing of it.
    other_school = world.school("Elsewhere High")
    outsider = new_browser()
    outsider.sign_in(world.user(other_school, ["ap_lead"]))
    assert outsider.get(f"/school/incidents/{incident}").status_code == 404
    assert outsider.post(f"/school/incidents/{incident}/acknowledge").status_code == 404
    assert "Northside Learning" not in html(outsider.get("/school/incidents"))


def test_the_service_refuses_placements_of_another_provider(app, world, setting):
    from datetime import date

    from shared.models import Organisation, User
    from shared.services.errors import RuleBroken
    from shared.services.placements import incidents
    from shared.services.placements.incidents import IncidentReport

    other = world.provider(setting["school"], "Southside Skills", ProviderStatus.APPROVED)
    other_user = world.user(other, ["provider_staff"])
    with freeze_time(NOW), app.app_context():
        details = IncidentReport(
            occurred_on=date(2026, 11, 30),
            occurred_time="10:00",
            site_id="elsewhere",
            location="Hall",
            placement_ids=[str(setting["placement"])],
            incident_type="disruption",
            severity="low",
            description="x",
            actions_taken="y",
            physical_intervention=False,
            injury=False,
            parents_informed=False,
            suspension=False,
        )
        with pytest.raises(RuleBroken, match="Select only pupils placed with you"):
            incidents.report(db.session.get(Organisation, other), details, by=db.session.get(User, other_user.id))
        assert db.session.scalars(select(IncidentPupil)).all() == []
