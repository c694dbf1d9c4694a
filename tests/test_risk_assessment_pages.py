"""The joint risk assessment's pages (issue 15): the school writes and signs, the provider's DSL adds its measures
and signs, an edit voids both signatures; encrypted at rest (a raw SELECT), a recent security code needed, every
opening in the safeguarding access log, only the provider's DSL on the provider's side, reopened ones on both DSLs'
lists. Frozen time."""

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from shared.extensions import db
from shared.models import AuditEvent, ProviderStatus, RiskAssessment
from tests.support.client import html

NOW = "2026-11-30 11:00:00"


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Marsh")
    placement = world.placement(school, provider, pupil)
    return {
        "placement": placement,
        "dsl": world.user(school, ["dsl"]),
        "ap_lead": world.user(school, ["ap_lead"]),
        "sendco": world.user(school, ["sendco"]),
        "provider_dsl": world.user(provider, ["provider_dsl"]),
        "provider_staff": world.user(provider, ["provider_staff"]),
    }


def _school_form(**changes) -> dict:
    data = {
        f"{key}_{part}": ""
        for key in (
            "exploitation",
            "online",
            "health",
            "physical_intervention",
            "triggers",
            "travel",
            "off_site",
            "collection",
        )
        for part in ("risk", "measures")
    }
    data["exploitation_risk"] = "Seen with older youths near the station"
    data["exploitation_measures"] = "Collected by taxi, never walks alone"
    data["collection" + "_measures"] = "Only his grandmother may collect him"
    data.update(changes)
    return data


def _assessment(app) -> RiskAssessment:
    with app.app_context():
        return db.session.scalars(select(RiskAssessment)).one()


@freeze_time(NOW)
def test_school_writes_provider_adds_both_sign_and_it_is_encrypted(app, setting, browser, new_browser):
    placement = setting["placement"]
    school_url = f"/school/placements/{placement}/joint-risk-assessment"
    portal_url = f"/portal/pupils/{placement}/risk-assessment"

    browser.sign_in(setting["ap_lead"])
    assert "The school has not written the risk assessment yet" in html(browser.get(school_url))
    response = browser.submit(f"{school_url}/edit", {})
    assert "Write the risk and the measures agreed for at least one section" in html(response)
    response = browser.submit(f"{school_url}/edit", _school_form())
    assert response.status_code == 302
    page = html(browser.get(school_url))
    assert "Seen with older youths near the station" in page and "Only his grandmother may collect him" in page
    assert "Sign the risk assessment" not in page  # the AP lead writes; only a DSL signs

    provider = new_browser()
    provider.sign_in(setting["provider_dsl"])
    assert "Read, add to and sign the risk assessment" in html(provider.get(f"/portal/pupils/{placement}"))
    response = provider.submit(f"{portal_url}/edit", {"exploitation": "Staff walk him to the taxi"})
    assert response.status_code == 302
    response = provider.submit(portal_url, {"typed_name": " "}, post_url=f"{portal_url}/sign")
    assert "Type your full name to sign" in html(response)
    response = provider.submit(portal_url, {"typed_name": "Pat Provider"}, post_url=f"{portal_url}/sign")
    assert response.status_code == 302
    assert "Pat Provider, 30 November 2026" in html(provider.get(portal_url))

    school_dsl = new_browser()
    school_dsl.sign_in(setting["dsl"])
    page = html(school_dsl.get(school_url))
    assert "Staff walk him to the taxi" in page and "Pat Provider" in page
    response = school_dsl.submit(school_url, {"typed_name": "Dee Esel"}, post_url=f"{school_url}/sign")
    assert response.status_code == 302
    page = html(school_dsl.get(school_url))
    assert "Dee Esel, 30 November 2026" in page and "Pat Provider, 30 November 2026" in page

    with app.app_context():
        raw = db.session.execute(text("SELECT school_part, provider_part FROM risk_assessments")).one()
        assert raw[0].startswith("sg1:") and raw[1].startswith("sg1:")
        assert "station" not in raw[0] and "grandmother" not in raw[0] and "taxi" not in raw[1]
        opened = db.session.scalars(
            select(AuditEvent.actor_user_id).where(AuditEvent.action == "risk_assessment.opened")
        ).all()
        assert set(opened) >= {setting["dsl"].id, setting["provider_dsl"].id}

    # The school DSL's access log shows the openings, both sides'.
    log = html(school_dsl.get("/school/safeguarding/access-log"))
    assert "Opened a risk assessment" in log

    # An edit after the signatures voids both.
    response = school_dsl.submit(f"{school_url}/edit", _school_form(online_risk="Uses a second phone"))
    assert response.status_code == 302
    page = html(school_dsl.get(school_url))
    assert "Dee Esel" not in page and "Pat Provider" not in page and page.count("Not signed") == 2


@freeze_time(NOW)
def test_only_the_provider_dsl_opens_it_and_not_before_the_school_wrote_it(app, world, setting, browser, new_browser):
    placement = setting["placement"]
    portal_url = f"/portal/pupils/{placement}/risk-assessment"
    browser.sign_in(setting["provider_dsl"])
    assert browser.get(portal_url).status_code == 404  # not written yet
    world.risk_assessment(placement)
    assert browser.get(portal_url).status_code == 200
    staff = new_browser()
    staff.sign_in(setting["provider_staff"])
    assert staff.get(portal_url).status_code == 403
    assert "Read, add to and sign" not in html(staff.get(f"/portal/pupils/{placement}"))
    sendco = new_browser()
    sendco.sign_in(setting["sendco"])
    assert sendco.get(f"/school/placements/{placement}/joint-risk-assessment").status_code == 403


def test_a_stale_security_code_is_asked_for_again(app, world, setting, browser):
    world.risk_assessment(setting["placement"])
    url = f"/school/placements/{setting['placement']}/joint-risk-assessment"
    with freeze_time("2026-11-30 11:00:00") as clock:
        browser.sign_in(setting["dsl"])
        assert browser.get(url).status_code == 200
        clock.tick(16 * 60)
        response = browser.get(url)
        assert response.status_code == 302 and "/two-step/confirm" in response.location


@freeze_time(NOW)
def test_a_reopened_assessment_is_on_both_dsls_lists(app, world, setting, browser, new_browser):
    from shared.services.placements import risk

    world.risk_assessment(setting["placement"])
    with app.app_context():
        risk.reopen([setting["placement"]], because="incident")
        db.session.commit()
    browser.sign_in(setting["dsl"])
    home = html(browser.get("/school/"))
    assert "1 risk assessment reopened after a serious incident or a concern is waiting for review and signing" in home
    assert "Jayden" not in home  # a safeguarding task names no pupil on the home page
    assert "Reopened after a serious incident" in html(
        browser.get(f"/school/placements/{setting['placement']}/joint-risk-assessment")
    )
    provider = new_browser()
    provider.sign_in(setting["provider_dsl"])
    home = html(provider.get("/portal/"))
    assert "1 risk assessment reopened after a serious incident or a concern is waiting for review and signing" in home


@freeze_time(NOW)
def test_the_placement_cannot_start_unsigned_without_the_headteachers_reason(app, world, setting, browser, new_browser):
    from shared.models import HeadteacherDecision, Placement, PlacementStatus

    placement = setting["placement"]
    with app.app_context():
        row = db.session.get(Placement, placement)
        row.status, row.headteacher_decision = PlacementStatus.PLANNED, HeadteacherDecision.PENDING
        db.session.commit()
    head = world.user(world_school(app, placement), ["headteacher"])
    browser.sign_in(head)
    url = f"/school/placements/{placement}/decision"
    assert "The risk assessment is not signed" in html(browser.get(url))
    refused = browser.submit(url, {"decision": "agree"})
    assert refused.status_code == 200
    assert "The risk assessment has not been signed by a school DSL and the provider&#39;s DSL" in html(refused) or (
        "The risk assessment has not been signed by a school DSL and the provider's DSL" in html(refused)
    )
    with app.app_context():
        assert db.session.get(Placement, placement).status == PlacementStatus.PLANNED
    agreed = browser.submit(url, {"decision": "agree", "proceed_unsigned_reason": "Provider DSL signs on Monday."})
    assert agreed.status_code == 302
    with app.app_context():
        assert db.session.get(Placement, placement).status == PlacementStatus.ACTIVE
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "risk_assessment.proceed_unsigned")
        ).one()
        assert event.actor_user_id == head.id
        raw = db.session.execute(text("SELECT proceed_unsigned_reason FROM risk_assessments")).scalar_one()
        assert raw.startswith("sg1:") and "Monday" not in raw
    dsl = new_browser()
    dsl.sign_in(setting["dsl"])
    assert "Provider DSL signs on Monday." in html(dsl.get(f"/school/placements/{placement}/joint-risk-assessment"))


def world_school(app, placement_id):
    from shared.models import Placement

    with app.app_context():
        return db.session.get(Placement, placement_id).school_id
