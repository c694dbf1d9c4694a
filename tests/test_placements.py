"""Placements: the written plan (approved providers and their own sites only), the headteacher's decision, the
independent-school registration warning, the risk assessment, ending, and what a provider may see of a placed pupil."""

import html as html_text
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import (
    AuditEvent,
    ChildProtectionStatus,
    HeadteacherDecision,
    Notification,
    Organisation,
    Placement,
    PlacementDocument,
    PlacementStatus,
    ProviderSite,
    ProviderStatus,
    Pupil,
    SendStatus,
    User,
)
from shared.services.errors import RuleBroken
from shared.services.placements import plans as placement_rules
from shared.uploads.reasons import Reason
from tests.support.client import Browser, html
from tests.support.files import HTML_PAGE, pdf_bytes


def text(response) -> str:
    return html_text.unescape(html(response))


class Setting:
    """A school with two approved providers (A with two sites, B with one), one not yet approved (C), a pupil and
    the school's people."""

    def __init__(self, world, app):
        self.world, self.app = world, app
        self.school = world.school()
        self.a = world.provider(self.school, "Acorn Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
        self.a_sites = [world.site(self.a, "Barn"), world.site(self.a, "Workshop")]
        self.b = world.provider(self.school, "Beacon Tuition", ProviderStatus.APPROVED, provider_type="tutor")
        self.b_site = world.site(self.b, "Library room")
        self.c = world.provider(self.school, "Cedar Farm", ProviderStatus.SUBMITTED, provider_type="unregistered_ap")
        self.c_site = world.site(self.c, "Yard")
        self.pupil = world.pupil(self.school, first_name="Jordan", last_name="Blake")
        self.headteacher_person = world.user(self.school, ["headteacher"])

    def browser(self, org, roles):
        browser = Browser(self.app.test_client())
        browser.sign_in(self.world.user(org, roles))
        return browser

    def plan(self, **changes) -> dict:
        return {
            "provider": str(self.a),
            "sites": [str(self.a_sites[0])],
            "legal_basis": "school_arranged",
            "primary_reason": "semh",
            "start_date": ["7", "9", "2026"],
            "max_end_date": ["18", "12", "2026"],
            "timetable": ["tue_pm", "mon_am", "mon_pm"],
            "hours_per_week": "12.5",
            "cost": "£1,045.50",
            "cost_period": "week",
            "rationale": "Needs a smaller setting for now.",
            "intended_outcomes": "Attendance above 90%.",
            "review_arrangements": "Half-termly meeting with parents.",
            "reintegration_criteria": "Four weeks of full attendance.",
            "review_interval_weeks": "6",
            "consulted": ["sendco", "parents"],
            "consulted_professionals": "Social worker",
            "parents_notified_on": ["1", "9", "2026"],
            "parents_notified_how": "Letter and phone call",
            "la_informed_on": ["2", "9", "2026"],
            **changes,
        }

    def submit_plan(self, browser, **changes):
        """Open step 2 for provider A, then send the plan (with any field changed, the provider included)."""
        return browser.submit(
            f"/school/pupils/{self.pupil}/placements/new?provider={self.a}",
            self.plan(**changes),
            post_url=f"/school/pupils/{self.pupil}/placements/new",
        )

    def placements(self) -> list[Placement]:
        with self.app.app_context():
            rows = db.session.query(Placement).all()
            for row in rows:
                _ = row.sites
            db.session.expunge_all()
            return rows


@pytest.fixture
def setting(world, app) -> Setting:
    return Setting(world, app)


@pytest.fixture
def ap_lead(setting) -> Browser:
    return setting.browser(setting.school, ["ap_lead"])


def test_the_first_step_offers_only_the_schools_approved_providers(setting, ap_lead):
    page = text(ap_lead.get(f"/school/pupils/{setting.pupil}/placements/new"))
    assert "Acorn Learning" in page and "Beacon Tuition" in page and "Cedar Farm" not in page
    step_two = text(ap_lead.get(f"/school/pupils/{setting.pupil}/placements/new?provider={setting.a}"))
    assert "Barn, Exampleton" in step_two and "Workshop" in step_two and "Library room" not in step_two
    refused = text(ap_lead.get(f"/school/pupils/{setting.pupil}/placements/new?provider={setting.c}"))
    assert "Choose one of the school's approved providers" in refused and "The written plan" not in refused


def test_plan_a_placement_then_the_headteacher_agrees(setting, ap_lead, app):
    response = setting.submit_plan(ap_lead)
    assert response.status_code == 302, text(response)[:3000]
    [placement] = setting.placements()
    assert placement.status == PlacementStatus.PLANNED
    assert placement.headteacher_decision == HeadteacherDecision.PENDING
    assert [site.name for site in placement.sites] == ["Barn"]
    assert placement.timetable == ["mon_am", "mon_pm", "tue_pm"]  # in week order, whatever order was ticked
    assert (placement.hours_per_week, placement.cost_pence, placement.cost_period) == (Decimal("12.5"), 104550, "week")
    assert placement.consulted_sendco and placement.consulted_parents and not placement.consulted_dsl
    assert placement.review_interval_weeks == 6 and placement.la_informed_on == date(2026, 9, 2)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="placement.created").one().details == {
            "legal_basis": "school_arranged"
        }
        [told] = db.session.query(Notification).filter_by(user_id=setting.headteacher_person.id).all()
        assert "waiting for your decision" in told.text and "Jordan" not in told.text
    page = text(ap_lead.get(response.location))
    assert "Awaiting decision" in page and "£1,045.50 per week" in page and "Monday AM, Monday PM, Tuesday PM" in page
    assert "<title>Placement" in page and "Decide" not in page  # only the headteacher decides

    provider = setting.browser(setting.a, ["provider_staff"])
    assert "Jordan" not in text(provider.get("/portal/pupils"))  # not agreed yet: the provider does not see it
    assert provider.get(f"/portal/pupils/{placement.id}").status_code == 404

    assert ap_lead.get(f"/school/placements/{placement.id}/decision").status_code == 403
    headteacher = Browser(app.test_client())
    headteacher.sign_in(setting.headteacher_person)
    assert "Decide" in text(headteacher.get(f"/school/placements/{placement.id}"))
    empty = headteacher.submit(f"/school/placements/{placement.id}/decision", {})
    assert "Choose to agree or decline" in text(empty)
    agreed = headteacher.submit(
        f"/school/placements/{placement.id}/decision",
        {"decision": "agree", "notes": "Yes", "proceed_unsigned_reason": "Signed next week."},
    )
    assert agreed.status_code == 302
    [placement] = setting.placements()
    assert placement.status == PlacementStatus.ACTIVE and placement.headteacher_decision == HeadteacherDecision.AGREED
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="placement.decided").one()
        assert event.details == {"decision": "agreed"}
    again = headteacher.post(f"/school/placements/{placement.id}/decision", {"decision": "decline"})
    assert "This placement has already been decided" in text(again)
    assert "Jordan Blake" in text(provider.get("/portal/pupils"))


def test_the_headteacher_can_decline_which_cancels_the_placement(setting, ap_lead, app):
    setting.submit_plan(ap_lead)
    [placement] = setting.placements()
    headteacher = Browser(app.test_client())
    headteacher.sign_in(setting.headteacher_person)
    headteacher.submit(f"/school/placements/{placement.id}/decision", {"decision": "decline", "notes": "Not now"})
    [placement] = setting.placements()
    assert placement.status == PlacementStatus.CANCELLED and placement.headteacher_decision_notes == "Not now"
    assert "Cancelled" in text(headteacher.get("/school/placements"))


def test_an_unapproved_provider_is_refused_by_the_service_and_through_a_tampered_form(setting, ap_lead, app):
    with app.test_request_context():
        school = db.session.get(Organisation, setting.school)
        pupil = db.session.get(Pupil, setting.pupil)
        by = db.session.query(User).first()
        plan = placement_rules.PlacementPlan(provider_id=setting.c, site_ids=[setting.c_site])
        with pytest.raises(RuleBroken, match="Cedar Farm is not approved, so a pupil cannot be placed there"):
            placement_rules.create_placement(school, pupil, plan, by=by)
        other_schools = setting.world.provider(setting.world.school("Elsewhere"), "Theirs", ProviderStatus.APPROVED)
        plan = placement_rules.PlacementPlan(provider_id=other_schools)
        with pytest.raises(RuleBroken, match="Choose one of the school's approved providers"):
            placement_rules.create_placement(school, pupil, plan, by=by)
    # A form sent with the unapproved provider and its site, everything else complete and valid.
    response = setting.submit_plan(ap_lead, provider=str(setting.c), sites=[str(setting.c_site)])
    assert response.status_code == 200
    assert "Cedar Farm is not approved, so a pupil cannot be placed there" in text(response)
    assert setting.placements() == []


def test_sites_of_another_provider_are_refused(setting, ap_lead, app):
    response = setting.submit_plan(ap_lead, sites=[str(setting.a_sites[0]), str(setting.b_site)])
    assert response.status_code == 200
    assert "Choose sites from the list" in text(response)
    with app.test_request_context():
        plan = placement_rules.PlacementPlan(provider_id=setting.a, site_ids=[setting.b_site])
        with pytest.raises(RuleBroken, match="Choose sites of Acorn Learning only"):
            placement_rules.create_placement(
                db.session.get(Organisation, setting.school),
                db.session.get(Pupil, setting.pupil),
                plan,
                by=db.session.query(User).first(),
            )
    assert setting.placements() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_end_date": ["1", "9", "2026"]}, "The maximum end date must be after the start date"),
        ({"timetable": []}, "Choose the sessions the pupil will be at the provider each week"),
        ({"timetable": ["sat_am"]}, "Choose sessions from Monday to Friday, morning or afternoon"),
        ({"hours_per_week": "lots"}, "Enter the hours a week as a number, like 12 or 12.5"),
        ({"cost": "12.345"}, "Enter the cost in pounds and pence, like 45.50"),
        ({"cost_period": ""}, "Say whether the cost is per session, per week or for the whole placement"),
        ({"legal_basis": "whatever"}, "Choose the legal basis of the placement"),
        ({"rationale": ""}, "Write why this placement is right for the pupil"),
        ({"review_interval_weeks": "12"}, "Reviews are every 6, 7 or 8 weeks"),
        ({"sites": []}, "Choose the site or sites where the pupil will be taught"),
    ],
)
def test_the_plan_refuses_with_a_plain_message(setting, ap_lead, changes, message):
    response = setting.submit_plan(ap_lead, **changes)
    assert response.status_code == 200
    assert message in text(response)
    assert setting.placements() == []


# --- the independent school registration line ---------------------------------------------------------------------


def _warning(app, provider_id):
    with app.app_context():
        return placement_rules.registration_warning(provider_id)


def _full_time(world, school, provider, **pupil_fields):
    return world.placement(school, provider, world.pupil(school, **pupil_fields), hours_per_week=Decimal("25"))


def test_five_full_time_pupils_at_a_provider_that_is_not_a_school_warn(world, app):
    school = world.school()
    farm = world.provider(school, "Hill Farm", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    for _ in range(4):
        _full_time(world, school, farm)
    world.placement(school, farm, hours_per_week=Decimal("18"))  # exactly 18 hours is not full time
    world.placement(school, farm, hours_per_week=Decimal("30"), status="ended")  # ended: not counted
    world.placement(school, farm, hours_per_week=Decimal("30"), status="cancelled")
    assert _warning(app, farm) is None
    _full_time(world, school, farm)
    warning = _warning(app, farm)
    assert "Hill Farm is not registered as a school" in warning
    assert "to 5 pupils" in warning and "it would need to register as an independent school" in warning


@pytest.mark.parametrize(
    "pupil_fields", [{"send_status": SendStatus.EHCP}, {"looked_after": True}], ids=["ehcp", "looked-after"]
)
def test_one_full_time_pupil_with_an_ehc_plan_or_looked_after_warns(world, app, pupil_fields):
    school = world.school()
    tutor = world.provider(school, "Tutor Co", ProviderStatus.APPROVED, provider_type="tutor")
    world.placement(school, tutor, world.pupil(school, **pupil_fields), hours_per_week=Decimal("12"))
    _full_time(world, school, tutor, send_status=SendStatus.SEN_SUPPORT, child_protection=ChildProtectionStatus.NONE)
    assert _warning(app, tutor) is None  # the EHCP / looked-after pupil is part time; the full-time one is neither
    _full_time(world, school, tutor, **pupil_fields)
    assert "to a pupil with an EHC plan or who is looked after" in _warning(app, tutor)


@pytest.mark.parametrize("provider_type", ["pru", "registered_school", "independent_school", "fe_college"])
def test_schools_and_colleges_never_get_the_warning(world, app, provider_type):
    school = world.school()
    provider = world.provider(school, "A School", ProviderStatus.APPROVED, provider_type=provider_type)
    for _ in range(5):
        _full_time(world, school, provider, send_status=SendStatus.EHCP, looked_after=True)
    assert _warning(app, provider) is None


def test_the_warning_is_on_the_placement_decision_and_provider_pages(setting, ap_lead, app):
    world = setting.world
    _full_time(world, setting.school, setting.a, looked_after=True)
    setting.submit_plan(ap_lead)
    placement = [p for p in setting.placements() if p.pupil_id == setting.pupil][0]
    assert "it would need to register as an independent school" in text(
        ap_lead.get(f"/school/placements/{placement.id}")
    )
    headteacher = Browser(app.test_client())
    headteacher.sign_in(setting.headteacher_person)
    decision_page = text(headteacher.get(f"/school/placements/{placement.id}/decision"))
    assert "it would need to register as an independent school" in decision_page
    not_near_the_line = world.placement(setting.school, setting.b, hours_per_week=Decimal("25"))
    assert "register as an independent school" not in text(ap_lead.get(f"/school/placements/{not_near_the_line}"))
    assert "it would need to register as an independent school" in text(ap_lead.get(f"/school/providers/{setting.a}"))
    assert "register as an independent school" not in text(ap_lead.get(f"/school/providers/{setting.b}"))


# --- the risk assessment --------------------------------------------------------------------------------------------


def _upload(browser, placement_id, data, filename):
    browser.get(f"/school/placements/{placement_id}/risk-assessment")
    return browser.client.post(
        f"/school/placements/{placement_id}/risk-assessment",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _stored_files(app, school_id) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / str(school_id)
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_a_risk_assessment_is_stored_and_downloadable_by_readers_only_of_this_school(setting, app):
    placement = setting.world.placement(setting.school, setting.a, setting.pupil)
    dsl = setting.browser(setting.school, ["dsl"])
    content = pdf_bytes()
    response = _upload(dsl, placement, content, "Risk assessment.pdf")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.query(PlacementDocument).one()
        assert document.placement_id == placement and document.display_name == "Risk assessment.pdf"
        assert document.storage_key.startswith(f"{setting.school}/") and "Risk" not in document.storage_key
        assert db.session.query(AuditEvent).filter_by(action="placement.document_uploaded").count() == 1
    assert len(_stored_files(app, setting.school)) == 1
    assert "Download Risk assessment.pdf" in text(dsl.get(f"/school/placements/{placement}"))
    reader = setting.browser(setting.school, ["attendance_lead"])
    download = reader.get(f"/school/placements/{placement}/risk-assessment/download")
    assert download.status_code == 200 and download.get_data() == content
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="placement.document_downloaded").count() == 1
    assert reader.get(f"/school/placements/{placement}/risk-assessment").status_code == 403  # reads, cannot upload
    stranger = setting.browser(setting.world.school("Elsewhere"), ["dsl"])
    assert stranger.get(f"/school/placements/{placement}/risk-assessment/download").status_code == 404
    assert _upload(stranger, placement, content, "x.pdf").status_code == 404
    provider = setting.browser(setting.a, ["provider_manager"])
    assert provider.get(f"/school/placements/{placement}/risk-assessment/download").status_code == 403


def test_a_refused_risk_assessment_says_why_and_leaves_no_row_and_no_object(setting, app):
    placement = setting.world.placement(setting.school, setting.a, setting.pupil)
    sendco = setting.browser(setting.school, ["sendco"])
    response = _upload(sendco, placement, HTML_PAGE, "Risk assessment.pdf")
    assert response.status_code == 200
    page = text(response)
    assert "govuk-error-summary" in page and 'href="#file"' in page
    assert page.count(Reason.CONTENT_MISMATCH.message) == 2  # in the summary and by the field
    with app.app_context():
        assert db.session.query(PlacementDocument).count() == 0
        assert db.session.query(AuditEvent).filter_by(action="placement.document_uploaded").count() == 0
    assert _stored_files(app, setting.school) == []
    empty = setting.browser(setting.school, ["ap_lead"]).get(f"/school/placements/{placement}/risk-assessment/download")
    assert empty.status_code == 302  # nothing to download yet: back to the placement, which says so


# --- what the provider may know -------------------------------------------------------------------------------------

SECRETS = {
    "upn": None,  # filled in by the test
    "social_worker_name": "Sigourney Socialworker",
    "social_worker_email": "sigourney@la.example",
    "yot_worker": "Yannick Yotworker",
    "welfare_officer_name": "Wilhelmina Welfare",
    "welfare_officer_email": "wilhelmina@la.example",
    "other_agencies": "Zanzibar Family Service",
}


def test_the_provider_sees_the_summary_and_nothing_else_of_the_record(setting, world, app):
    from shared.upn import make_upn

    secrets = {**SECRETS, "upn": make_upn(establishment=7777, serial=777)}
    pupil = world.pupil(
        setting.school,
        first_name="Quentin",
        last_name="Quill",
        preferred_name="Quinny",
        year_group="10",
        date_of_birth=date(2011, 5, 6),
        send_status=SendStatus.EHCP,
        looked_after=True,
        child_protection=ChildProtectionStatus.CHILD_PROTECTION_PLAN,
        **secrets,
    )
    placement = world.placement(
        setting.school,
        setting.a,
        pupil,
        timetable=["mon_am", "wed_pm"],
        legal_basis="la_arranged",
        primary_reason="permanently_excluded",
        rationale="Rationale-Marmalade",
        intended_outcomes="Outcome-Pineapple",
        cost_pence=987654,
        cost_period="week",
        max_end_date=date(2027, 3, 31),
    )
    with app.app_context():
        db.session.get(Placement, placement).sites = [db.session.get(ProviderSite, setting.a_sites[1])]
        db.session.commit()
    sendco = setting.browser(setting.school, ["sendco"])
    assert "Write at least one part of the summary" in text(
        sendco.submit(f"/school/placements/{placement}/summary", {})
    )
    saved = sendco.submit(
        f"/school/placements/{placement}/summary",
        {"summary_send_needs": "Needs instructions in short steps", "summary_support_plan": "Calm space after lunch"},
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="placement.summary_saved").count() == 1
    assert (
        setting.browser(setting.school, ["ap_lead"]).get(f"/school/placements/{placement}/summary").status_code == 403
    )

    staff = setting.browser(setting.a, ["provider_staff"])
    listing = text(staff.get("/portal/pupils"))
    assert "Quinny Quill" in listing and "Year 10" in listing and "Monday AM, Wednesday PM" in listing
    page = text(staff.get(f"/portal/pupils/{placement}"))
    assert "Quinny Quill" in page and "6 May 2011" in page and "Year 10" in page
    assert "Workshop, 1 High Street, Exampleton" in page and "31 March 2027" in page
    assert "Needs instructions in short steps" in page and "Calm space after lunch" in page
    assert "<title>Placed pupil" in page
    for secret in [*secrets.values(), "Rationale-Marmalade", "Outcome-Pineapple", "9,876", "98765", "Quentin"]:
        assert secret not in page and secret not in listing, secret
    # Within the page's content: the menu now (rightly) offers provider staff the school's child protection policy.
    content = page.split("<main", 1)[1].split("</main>", 1)[0]
    for word in ("EHC", "looked after", "Looked after", "protection", "code K", "local authority", "excluded"):
        assert word not in content, word

    other = setting.browser(setting.b, ["provider_manager"])
    assert other.get(f"/portal/pupils/{placement}").status_code == 404
    assert "Quill" not in text(other.get("/portal/pupils"))
    assert staff.get(f"/school/placements/{placement}").status_code == 403


# --- ending -------------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 12:00:00")
def test_the_ap_lead_ends_a_placement_and_the_provider_sees_the_pupil_until_the_last_day(setting, app):
    ap_lead = setting.browser(setting.school, ["ap_lead"])  # signed in at the frozen time
    placement = setting.world.placement(setting.school, setting.a, setting.pupil)
    assert "Choose where the pupil goes next" in text(ap_lead.submit(f"/school/placements/{placement}/end", {}))
    early = ap_lead.submit(
        f"/school/placements/{placement}/end", {"end_date": ["1", "9", "2026"], "destination": "reintegrated"}
    )
    assert "The end date cannot be before the placement started" in text(early)
    ended = ap_lead.submit(
        f"/school/placements/{placement}/end", {"end_date": ["4", "12", "2026"], "destination": "reintegrated"}
    )
    assert ended.status_code == 302
    [row] = setting.placements()
    assert row.status == PlacementStatus.ENDED and row.end_date == date(2026, 12, 4)
    assert row.end_destination == "reintegrated"
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="placement.ended").one().details == {
            "destination": "reintegrated"
        }
    assert "Back at school full time" in text(ap_lead.get(f"/school/placements/{placement}"))
    provider = setting.browser(setting.a, ["provider_staff"])
    assert provider.get(f"/portal/pupils/{placement}").status_code == 200
    with app.app_context():  # after the last day the provider no longer sees the pupil
        assert placement_rules.provider_placement(setting.a, placement, date(2026, 12, 4)) is not None
        assert placement_rules.provider_placement(setting.a, placement, date(2026, 12, 5)) is None
        assert placement_rules.provider_placements(setting.a, date(2026, 12, 5)) == []
    sendco = setting.browser(setting.school, ["sendco"])
    assert sendco.get(f"/school/placements/{placement}/end").status_code == 403


def test_the_provider_lists_agreed_placements_only_and_never_cancelled_ones(setting, world):
    agreed_to_start = world.placement(
        setting.school, setting.a, world.pupil(setting.school, first_name="Pia"), status="planned"
    )
    world.placement(setting.school, setting.a, world.pupil(setting.school, first_name="Cory"), status="cancelled")
    world.placement(setting.school, setting.b, world.pupil(setting.school, first_name="Bryn"))
    manager = setting.browser(setting.a, ["provider_manager"])
    listing = text(manager.get("/portal/pupils"))
    assert "Pia Example" in listing and "Cory" not in listing and "Bryn" not in listing
    assert manager.get(f"/portal/pupils/{agreed_to_start}").status_code == 200
