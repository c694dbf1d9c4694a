"""Providers measured against DfE's national standards for non-school AP (issue 15): the standards as data, and a
quality-assurance record (a judgement per standard, strengths, actions with dates) on a school's or the local
authority's site visit, shown wherever the visit is shown. Frozen time (the school's clock is Europe/London)."""

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared import evidence_catalogue, national_standards
from shared.extensions import db
from shared.models import AuditEvent, Organisation, ProviderStatus, SiteVisit, StandardsSelfAssessment, User
from shared.services.errors import RuleBroken
from shared.services.providers import standards
from shared.services.providers.standards import QualityAction, QualityRecord
from tests.support.client import Browser, html
from tests.support.demo import DEMO_MOMENT, seed_demo

NOW = "2026-11-30 15:00:00"  # Monday 30 November 2026


@pytest.fixture
def area(world):
    la = world.local_authority("Demo Borough Council")
    hillside = world.school("Hillside School", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside)
    return {
        "la": la,
        "hillside": hillside,
        "riverside": riverside,
        "northside": northside,
        "site": world.site(northside, "Workshop site"),
    }


def _signed_in(app, world, org, roles) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(org, roles))
    return browser


def _visit(**extra) -> dict:
    return {"visited_on": ["27", "11", "2026"], "findings": "Calm workshop, two tutors for five pupils.", **extra}


# --- the standards as data -------------------------------------------------------------------------------------------


def test_the_standards_are_the_four_published_areas_versioned_each_with_evidence_types_in_the_catalogue():
    assert national_standards.VERSION == "2025-08"
    assert [s.title for s in national_standards.STANDARDS] == [
        "Safeguarding and wellbeing",
        "Health and safety",
        "Admissions, support and guidance",
        "Quality of education",
    ]
    assert len(national_standards.BY_CODE) == 4
    for standard in national_standards.STANDARDS:
        assert standard.expects and standard.evidence_types
        assert set(standard.evidence_types) <= set(evidence_catalogue.BY_CODE)
    safeguarding = national_standards.BY_CODE["safeguarding_and_wellbeing"]
    assert "DSL training certificate" in national_standards.evidence_names(safeguarding)
    assert "summary" in national_standards.SUMMARY_NOTE.lower()


# --- the quality-assurance record (service) ------------------------------------------------------------------------


def test_a_quality_record_keeps_the_standards_judged_strengths_and_dated_actions():
    stored = standards.quality_assurance(
        QualityRecord(
            judgements={"health_and_safety": "partly_met", "quality_of_education": "met"},
            strengths="  Strong English and maths teaching.  ",
            actions=[QualityAction("Send the fire drill log", date(2026, 12, 11)), QualityAction("", None)],
        )
    )
    assert stored == {
        "version": "2025-08",
        "judgements": [
            {"code": "health_and_safety", "title": "Health and safety", "judgement": "partly_met"},
            {"code": "quality_of_education", "title": "Quality of education", "judgement": "met"},
        ],
        "strengths": "Strong English and maths teaching.",
        "actions": [{"action": "Send the fire drill log", "due": "2026-12-11"}],
    }
    assert standards.quality_assurance(QualityRecord()) is None
    assert standards.quality_assurance(None) is None
    rows = national_standards.quality_assurance_rows(stored)
    assert [(r["key"]["text"], r["value"]["text"]) for r in rows] == [
        ("Health and safety", "Partly met"),
        ("Quality of education", "Met"),
        ("Strengths", "Strong English and maths teaching."),
        ("Action due by 11 December 2026", "Send the fire drill log"),
    ]


def test_a_quality_record_refuses_an_action_without_a_date_a_date_without_an_action_and_an_unknown_judgement():
    with pytest.raises(RuleBroken) as refused:
        standards.quality_assurance(
            QualityRecord(
                judgements={"health_and_safety": "excellent"},
                actions=[QualityAction("Send the log", None), QualityAction(None, date(2026, 12, 1))],
            )
        )
    assert [(str(p), p.field) for p in refused.value.problems] == [
        ("Select a judgement for health and safety", "standard_health_and_safety"),
        ("Enter the date action 1 is due by", "action_1_due"),
        ("Write action 2, or remove its date", "action_2"),
    ]


# --- the visit forms (views) ---------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_the_ap_lead_records_a_visit_with_judgements_shown_on_the_visit_and_to_the_other_schools(app, world, area):
    northside = area["northside"]
    lead = _signed_in(app, world, area["hillside"], ["ap_lead"])
    url = f"/school/providers/{northside}/visits/new"
    page = html(lead.get(url))
    assert "The national standards" in page and "Safeguarding and wellbeing" in page
    assert "Not looked at on this visit" in page and "Action 1: due by" in page

    base = _visit(site_id=str(area["site"]), shared="y")
    page = html(lead.submit(url, {**base, "action_1": "Send the fire drill log"}))
    assert "Enter the date action 1 is due by" in page
    with app.app_context():
        assert db.session.scalars(select(SiteVisit)).all() == []

    response = lead.submit(
        url,
        {
            **base,
            "standard_safeguarding_and_wellbeing": "met",
            "standard_health_and_safety": "partly_met",
            "strengths": "Strong relationships with pupils.",
            "action_1": "Send the fire drill log",
            "action_1_due": ["11", "12", "2026"],
        },
    )
    assert response.status_code == 302
    page = html(lead.get(response.location))
    section = page.split("Against the national standards", 1)[1]
    assert "Safeguarding and wellbeing" in section and "Met" in section and "Partly met" in section
    assert "Quality of education" not in section  # not looked at: not shown
    assert "Strong relationships with pupils." in section
    assert "Action due by 11 December 2026" in section and "Send the fire drill log" in section
    with app.app_context():
        (visit,) = db.session.scalars(select(SiteVisit)).all()
        assert visit.quality_assurance["version"] == "2025-08"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.recorded"))
        assert event.details["standards_judged"] == 2

    # Shared: Riverside (another school using Northside) and the LA see the judgements with the visit.
    riverside = _signed_in(app, world, area["riverside"], ["ap_lead"])
    page = html(riverside.get(f"/school/providers/{northside}"))
    shared = page.split("Visits shared by other schools and the LA", 1)[1]
    assert "Partly met" in shared and "Send the fire drill log" in shared
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    assert "Partly met" in html(officer.get(f"/la/directory/{northside}"))


@freeze_time(NOW)
def test_the_la_officer_records_a_qa_visit_against_the_standards(app, world, area):
    northside = area["northside"]
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    url = f"/la/directory/{northside}/visits/new"
    assert "Admissions, support and guidance" in html(officer.get(url))
    page = html(officer.submit(url, {**_visit(site_id=str(area["site"])), "standard_quality_of_education": "great"}))
    assert "Select a judgement for quality of education" in page
    response = officer.submit(
        url,
        {
            **_visit(site_id=str(area["site"])),
            "standard_quality_of_education": "not_yet_met",
            "action_1": "Add careers guidance to the curriculum",
            "action_1_due": ["1", "2", "2027"],
        },
    )
    assert response.status_code == 302
    page = html(officer.get(f"/la/directory/{northside}"))
    assert "Not yet met" in page and "Action due by 1 February 2027" in page
    hillside = _signed_in(app, world, area["hillside"], ["headteacher"])
    page = html(hillside.get(f"/school/providers/{northside}"))
    assert "Not yet met" in page and "Add careers guidance to the curriculum" in page


@freeze_time(NOW)
def test_a_visit_without_standards_shows_no_standards_section(app, world, area):
    lead = _signed_in(app, world, area["hillside"], ["ap_lead"])
    response = lead.submit(f"/school/providers/{area['northside']}/visits/new", _visit(site_id=str(area["site"])))
    assert response.status_code == 302
    assert "Against the national standards" not in html(lead.get(response.location))
    with app.app_context():
        assert db.session.scalar(select(SiteVisit)).quality_assurance is None


# --- the provider's self-assessment ----------------------------------------------------------------------------------


def _assessment(policy, extra=None) -> dict:
    data = {}
    for code, judgement in [
        ("safeguarding_and_wellbeing", "met"),
        ("health_and_safety", "partly_met"),
        ("admissions_support_and_guidance", "met"),
        ("quality_of_education", "not_yet_met"),
    ]:
        data[f"judgement_{code}"] = judgement
        data[f"explanation_{code}"] = f"Our {code.replace('_', ' ')} explained."
    data["evidence_safeguarding_and_wellbeing"] = [str(policy)]
    return {**data, **(extra or {})}


@freeze_time(NOW)
def test_the_provider_manager_self_assesses_linking_current_vault_evidence_and_each_submission_is_a_version(
    app, world, area
):
    northside = area["northside"]
    policy = world.document(northside, "safeguarding_policy", display_name="Northside safeguarding 2026.pdf")
    old = world.document_row(northside, "health_and_safety_policy", status="superseded")
    other_provider = world.provider(area["riverside"], "Eastgate Tuition", ProviderStatus.APPROVED)
    theirs = world.document(other_provider, "safeguarding_policy", display_name="Eastgate safeguarding.pdf")
    manager = _signed_in(app, world, northside, ["provider_manager"])
    assert "Your self-assessment against the national standards" in html(manager.get("/portal/"))
    page = html(manager.get("/portal/standards"))
    assert "Self-assessment against the national standards" in page
    assert "Northside safeguarding 2026.pdf" in page and "Eastgate safeguarding.pdf" not in page
    assert str(old) not in page  # superseded: not current
    assert "not DfE&#39;s wording" in page or "not DfE's wording" in page

    page = html(manager.submit("/portal/standards", {"judgement_health_and_safety": "met"}))
    assert "Select how far you meet safeguarding and wellbeing" in page
    assert "Explain your judgement for quality of education" in page
    page = html(manager.submit("/portal/standards", _assessment(policy, {"evidence_health_and_safety": [str(theirs)]})))
    assert "Choose evidence from your current documents for health and safety" in page
    with app.app_context():
        assert db.session.scalars(select(StandardsSelfAssessment)).all() == []

    response = manager.submit("/portal/standards", _assessment(policy))
    assert response.status_code == 302
    page = html(manager.get("/portal/standards"))
    assert "Self-assessment submitted" in page
    assert "Version 1, submitted on 30 November 2026" in page
    assert "Partly met" in page and "Not yet met" in page
    second = manager.submit("/portal/standards", _assessment(policy, {"judgement_quality_of_education": "met"}))
    assert second.status_code == 302
    with app.app_context():
        versions = db.session.scalars(select(StandardsSelfAssessment).order_by(StandardsSelfAssessment.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].entries[0]["document_ids"] == [str(policy)]
        assert versions[1].standards_version == "2025-08"
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "standards.self_assessed")).all()
        assert sorted(e.details["version"] for e in events) == [1, 2]

    # The provider's schools and their local authority see the latest, with links to the evidence they can open.
    for org, roles, url, download in [
        (area["hillside"], ["ap_lead"], f"/school/providers/{northside}", f"/school/documents/{policy}/download"),
        (area["riverside"], ["headteacher"], f"/school/providers/{northside}", f"/school/documents/{policy}/download"),
        (area["la"], ["la_officer"], f"/la/directory/{northside}", f"/la/evidence/{policy}/download"),
    ]:
        viewer = _signed_in(app, world, org, roles)
        page = html(viewer.get(url))
        section = page.split("Self-assessment against the national standards", 1)[1]
        assert "Version 2, submitted on 30 November 2026" in section
        assert "Our quality of education explained." in section and "Not yet met" not in section
        assert f'href="{download}"' in section and "Northside safeguarding 2026.pdf" in section
        assert viewer.get(download).status_code == 200


@freeze_time(NOW)
def test_those_who_may_not_download_evidence_see_its_name_without_a_link(app, world, area):
    northside = area["northside"]
    policy = world.document(northside, "safeguarding_policy", display_name="Northside safeguarding 2026.pdf")
    manager = _signed_in(app, world, northside, ["provider_manager"])
    assert manager.submit("/portal/standards", _assessment(policy)).status_code == 302
    sendco = _signed_in(app, world, area["hillside"], ["sendco"])
    page = html(sendco.get(f"/school/providers/{northside}"))
    section = page.split("Self-assessment against the national standards", 1)[1]
    assert "Northside safeguarding 2026.pdf" in section and f"/school/documents/{policy}/download" not in section
    assert sendco.get(f"/school/documents/{policy}/download").status_code == 403


def test_a_provider_without_a_self_assessment_says_so_and_only_the_manager_may_self_assess(app, world, area):
    northside = area["northside"]
    lead = _signed_in(app, world, area["hillside"], ["ap_lead"])
    assert "has not submitted a self-assessment" in html(lead.get(f"/school/providers/{northside}"))
    manager = _signed_in(app, world, northside, ["provider_manager"])
    page = html(manager.get("/portal/standards"))
    assert "You have no documents to link yet" in page and "Your latest self-assessment" not in page
    staff = _signed_in(app, world, northside, ["provider_staff"])
    assert staff.get("/portal/standards").status_code == 403
    assert "national standards" not in html(staff.get("/portal/"))
    dsl = _signed_in(app, world, northside, ["provider_dsl"])
    assert dsl.get("/portal/standards").status_code == 403


def test_the_self_assessment_service_links_only_the_providers_own_current_documents(app, world, area):
    northside = area["northside"]
    current = world.document(northside, "curriculum_offer")
    other_provider = world.provider(area["riverside"], "Eastgate Tuition", ProviderStatus.APPROVED)
    theirs = world.document(other_provider, "curriculum_offer")
    manager = world.user(northside, ["provider_manager"])
    entries = {
        s.code: standards.SelfAssessmentEntry("met", "Explained.", [str(theirs)]) for s in national_standards.STANDARDS
    }
    with app.app_context():
        provider = db.session.get(Organisation, northside)
        user = db.session.get(User, manager.id)
        assert [d.id for d in standards.vault_documents(northside)] == [current]
        with pytest.raises(RuleBroken) as refused:
            standards.submit_self_assessment(provider, entries, by=user)
        assert len(refused.value.problems) == 4
        for entry in entries.values():
            entry.document_ids = [str(current)]
        assessment = standards.submit_self_assessment(provider, entries, by=user)
        (first, *_) = standards.assessed_standards(assessment)
        assert first.title == "Safeguarding and wellbeing" and [d.id for d in first.documents] == [current]
        assert standards.latest_self_assessment(northside).id == assessment.id


@freeze_time(DEMO_MOMENT)
def test_the_demo_shows_a_self_assessment_linked_to_evidence_and_a_qa_visit_once(app):
    seed_demo(app)
    # safe to run twice
    assert app.test_cli_runner().invoke(None, ["seed-demo"], catch_exceptions=False).exit_code == 0
    with app.app_context():
        northside = db.session.scalar(select(Organisation).where(Organisation.name == "Northside Learning Centre"))
        (assessment,) = db.session.scalars(select(StandardsSelfAssessment)).all()
        assert assessment.organisation_id == northside.id
        assert any(row.documents for row in standards.assessed_standards(assessment))
        (visit,) = db.session.scalars(select(SiteVisit).where(SiteVisit.quality_assurance.is_not(None))).all()
        assert visit.provider_id == northside.id and visit.quality_assurance["actions"]
