"""Changing a placement's written plan after it was saved: who may, which placements, what cannot change (the
provider; the start date past recorded attendance), what is audited, and a material change to an agreed plan going
back to the headteacher while the placement keeps running."""

import html as html_text
from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import (
    AttendanceMark,
    AuditEvent,
    HeadteacherDecision,
    Notification,
    OutboxEmail,
    Placement,
    PlacementStatus,
    ProviderSite,
    ProviderStatus,
    SendStatus,
)
from shared.services.attendance import marks as attendance
from tests.support.client import Browser, html

MONDAY = date(2026, 11, 30)  # in term
FRIDAY = date(2026, 12, 4)
WEEKDAYS_ALL_DAY = [f"{day}_{session}" for day in ("mon", "tue", "wed", "thu", "fri") for session in ("am", "pm")]


def text(response) -> str:
    return html_text.unescape(html(response))


class Setting:
    """A school with an approved provider (two sites) and a second approved provider, a pupil with an agreed,
    running placement at the first, and the school's headteacher."""

    def __init__(self, world, app):
        self.world, self.app = world, app
        self.school = world.school()
        self.a = world.provider(self.school, "Acorn Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
        self.a_sites = [world.site(self.a, "Barn"), world.site(self.a, "Workshop")]
        self.b = world.provider(self.school, "Beacon Tuition", ProviderStatus.APPROVED, provider_type="tutor")
        self.b_site = world.site(self.b, "Library room")
        self.headteacher_person = world.user(self.school, ["headteacher"])

    def placement(self, *, pupil_fields: dict | None = None, **fields) -> object:
        """A placement with a whole written plan (agreed and running unless told otherwise), taught at the Barn."""
        pupil = self.world.pupil(self.school, first_name="Jordan", last_name="Blake", **(pupil_fields or {}))
        plan = {
            "start": date(2026, 9, 7),
            "timetable": list(WEEKDAYS_ALL_DAY),
            "primary_reason": "semh",
            "max_end_date": date(2026, 12, 18),
            "hours_per_week": Decimal("12.5"),
            "cost_pence": 104550,
            "cost_period": "week",
            "rationale": "Needs a smaller setting for now.",
            "intended_outcomes": "Attendance above 90%.",
            "review_arrangements": "Half-termly meeting with parents.",
            "reintegration_criteria": "Four weeks of full attendance.",
            **fields,
        }
        placement_id = self.world.placement(self.school, self.a, pupil, **plan)
        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            placement.sites = [db.session.get(ProviderSite, self.a_sites[0])]
            db.session.commit()
        return placement_id

    def plan(self, **changes) -> dict:
        """The form as the edit page fills it for `placement()`, with any field changed."""
        return {
            "provider": str(self.a),
            "sites": [str(self.a_sites[0])],
            "legal_basis": "school_arranged",
            "primary_reason": "semh",
            "start_date": ["7", "9", "2026"],
            "max_end_date": ["18", "12", "2026"],
            "timetable": list(WEEKDAYS_ALL_DAY),
            "hours_per_week": "12.5",
            "cost": "1045.50",
            "cost_period": "week",
            "rationale": "Needs a smaller setting for now.",
            "intended_outcomes": "Attendance above 90%.",
            "review_arrangements": "Half-termly meeting with parents.",
            "reintegration_criteria": "Four weeks of full attendance.",
            "review_interval_weeks": "6",
            **changes,
        }

    def browser(self, roles, org=None) -> Browser:
        browser = Browser(self.app.test_client())
        browser.sign_in(self.world.user(org or self.school, roles))
        return browser

    def get(self, placement_id) -> Placement:
        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            _ = placement.sites
            db.session.expunge_all()
            return placement

    def audit_details(self, action="placement.updated") -> list[dict]:
        with self.app.app_context():
            return [event.details for event in db.session.query(AuditEvent).filter_by(action=action)]


@pytest.fixture(autouse=True)
def school_day():
    """Every test runs on a Monday in term, signing in included (a session is timed from the frozen clock)."""
    with freeze_time("2026-11-30 12:00:00"):
        yield


@pytest.fixture
def setting(world, app, school_day) -> Setting:
    return Setting(world, app)


@pytest.fixture
def ap_lead(setting) -> Browser:
    return setting.browser(["ap_lead"])


def edit_url(placement_id) -> str:
    return f"/school/placements/{placement_id}/edit"


def test_the_page_starts_from_the_saved_plan_and_a_change_is_saved_and_audited_by_field_name(setting, ap_lead):
    placement_id = setting.placement()
    page = text(ap_lead.get(f"/school/placements/{placement_id}"))
    assert "Change the plan" in page
    form = text(ap_lead.get(edit_url(placement_id)))
    assert "<title>Change the plan of a placement" in form and "Jordan" not in form.split("</title>")[0]
    assert 'value="12.5"' in form and 'value="1045.50"' in form and "Needs a smaller setting for now." in form
    assert "Acorn Learning" in form and "The provider cannot be changed" in form and "Beacon Tuition" not in form

    response = ap_lead.submit(
        edit_url(placement_id),
        setting.plan(sites=[str(site) for site in setting.a_sites], rationale="Needs a calmer setting this term."),
    )
    assert response.status_code == 302
    page = text(ap_lead.get(response.location))
    assert "Plan changed" in page and "Needs a calmer setting this term." in page and "Workshop" in page

    placement = setting.get(placement_id)
    assert sorted(site.name for site in placement.sites) == ["Barn", "Workshop"]
    assert placement.headteacher_decision == HeadteacherDecision.AGREED  # wording and sites: no new decision
    assert setting.audit_details() == [{"fields": ["rationale", "sites"]}]
    with setting.app.app_context():
        assert db.session.query(Notification).filter_by(user_id=setting.headteacher_person.id).count() == 0


def test_saving_without_a_change_records_nothing(setting, ap_lead):
    placement_id = setting.placement()
    response = ap_lead.submit(edit_url(placement_id), setting.plan())
    assert response.status_code == 302
    assert "Nothing was changed" in text(ap_lead.get(response.location))
    assert setting.audit_details() == []


def test_a_material_change_to_an_agreed_plan_goes_back_to_the_headteacher_and_the_placement_keeps_running(
    setting, ap_lead, app
):
    placement_id = setting.placement()
    form = text(ap_lead.get(edit_url(placement_id)))
    assert "goes back to the headteacher for a new decision" in form
    response = ap_lead.submit(edit_url(placement_id), setting.plan(hours_per_week="15", cost="1200"))
    assert response.status_code == 302
    assert "The headteacher has been asked to decide on the changed plan" in text(ap_lead.get(response.location))

    placement = setting.get(placement_id)
    assert placement.status == PlacementStatus.ACTIVE and placement.headteacher_decision == HeadteacherDecision.PENDING
    assert (placement.hours_per_week, placement.cost_pence) == (Decimal("15"), 120000)
    assert setting.audit_details() == [{"fields": ["cost_pence", "hours_per_week"]}]
    with app.app_context():
        [told] = db.session.query(Notification).filter_by(user_id=setting.headteacher_person.id).all()
        assert "changed" in told.text and "Jordan" not in told.text and "Blake" not in told.text
        assert told.link == f"/school/placements/{placement_id}/decision"
        [email] = db.session.query(OutboxEmail).filter_by(to_address=setting.headteacher_person.email).all()
        assert "waiting for your decision" in email.subject
        assert "Jordan" not in email.subject + email.body and "Blake" not in email.subject + email.body
        # Still running: the provider's sessions are still expected (under the new plan).
        assert attendance.is_expected(db.session.get(Placement, placement_id), MONDAY, "AM")

    provider = setting.browser(["provider_staff"], org=setting.a)
    assert "Jordan Blake" in text(provider.get("/portal/pupils"))

    headteacher = Browser(app.test_client())
    headteacher.sign_in(setting.headteacher_person)
    assert "Decide" in text(headteacher.get(f"/school/placements/{placement_id}"))
    declined = headteacher.submit(f"/school/placements/{placement_id}/decision", {"decision": "decline"})
    assert "already running, so it cannot be declined" in text(declined)
    assert setting.get(placement_id).status == PlacementStatus.ACTIVE
    agreed = headteacher.submit(f"/school/placements/{placement_id}/decision", {"decision": "agree"})
    assert agreed.status_code == 302
    placement = setting.get(placement_id)
    assert placement.status == PlacementStatus.ACTIVE and placement.headteacher_decision == HeadteacherDecision.AGREED


def test_a_plan_still_waiting_for_the_headteacher_is_changed_without_telling_them_again(setting, ap_lead, app):
    placement_id = setting.placement(status="planned", start=date(2027, 1, 4), max_end_date=date(2027, 3, 26))
    with app.app_context():
        db.session.get(Placement, placement_id).headteacher_decision = HeadteacherDecision.PENDING
        db.session.commit()
    response = ap_lead.submit(
        edit_url(placement_id),
        setting.plan(start_date=["4", "1", "2027"], max_end_date=["1", "4", "2027"], hours_per_week="10"),
    )
    assert response.status_code == 302
    placement = setting.get(placement_id)
    assert placement.max_end_date == date(2027, 4, 1) and placement.status == PlacementStatus.PLANNED
    assert setting.audit_details() == [{"fields": ["hours_per_week", "max_end_date"]}]
    with app.app_context():
        assert db.session.query(Notification).filter_by(user_id=setting.headteacher_person.id).count() == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [("ended", "This placement has ended"), ("cancelled", "This placement was cancelled")],
)
def test_an_ended_or_cancelled_placement_cannot_be_changed_and_the_page_says_why(setting, ap_lead, status, reason):
    placement_id = setting.placement(status=status)
    assert "Change the plan" not in text(ap_lead.get(f"/school/placements/{placement_id}"))
    page = ap_lead.get(edit_url(placement_id))
    assert page.status_code == 200
    assert reason in text(page) and "Save changes to the plan" not in text(page)
    response = ap_lead.post(edit_url(placement_id), setting.plan(rationale="Changed after the end."))
    assert response.status_code == 200 and reason in text(response)
    assert setting.get(placement_id).rationale == "Needs a smaller setting for now."
    assert setting.audit_details() == []


def test_the_start_date_cannot_move_past_a_day_with_attendance_recorded(setting, ap_lead, app):
    placement_id = setting.placement()
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        for day in (date(2026, 9, 14), date(2026, 9, 15)):
            db.session.add(
                AttendanceMark(
                    placement_id=placement.id,
                    school_id=placement.school_id,
                    provider_id=placement.provider_id,
                    pupil_id=placement.pupil_id,
                    day=day,
                    session="AM",
                    kind="present",
                    code="B",
                )
            )
        db.session.commit()
    refused = ap_lead.submit(edit_url(placement_id), setting.plan(start_date=["1", "10", "2026"]))
    assert refused.status_code == 200
    assert (
        "Attendance has already been recorded for Monday 14 September 2026, so the start date cannot be later than "
        "that" in text(refused)
    )
    assert setting.get(placement_id).start_date == date(2026, 9, 7)

    moved = ap_lead.submit(edit_url(placement_id), setting.plan(start_date=["14", "9", "2026"]))
    assert moved.status_code == 302
    assert setting.get(placement_id).start_date == date(2026, 9, 14)
    assert setting.audit_details() == [{"fields": ["start_date"]}]


def test_the_maximum_end_date_must_stay_after_the_start(setting, ap_lead):
    placement_id = setting.placement()
    refused = ap_lead.submit(edit_url(placement_id), setting.plan(max_end_date=["1", "9", "2026"]))
    assert refused.status_code == 200
    assert "The maximum end date must be after the start date" in text(refused)
    assert setting.get(placement_id).max_end_date == date(2026, 12, 18)


def test_the_provider_cannot_be_changed(setting, ap_lead):
    placement_id = setting.placement()
    refused = ap_lead.submit(edit_url(placement_id), setting.plan(provider=str(setting.b)))
    assert refused.status_code == 200
    assert "The provider of a placement cannot be changed" in text(refused)
    other_sites = ap_lead.submit(
        edit_url(placement_id), setting.plan(provider=str(setting.b), sites=[str(setting.b_site)])
    )
    assert other_sites.status_code == 200 and "Choose sites from the list" in text(other_sites)
    placement = setting.get(placement_id)
    assert placement.provider_id == setting.a and [site.name for site in placement.sites] == ["Barn"]
    assert setting.audit_details() == []


def test_another_schools_placement_is_not_found(setting, world, app):
    placement_id = setting.placement()
    other_school = world.school("Other School")
    other_lead = setting.browser(["ap_lead"], org=other_school)
    assert other_lead.get(edit_url(placement_id)).status_code == 404
    assert other_lead.post(edit_url(placement_id), setting.plan(rationale="Not ours")).status_code == 404
    assert setting.get(placement_id).rationale == "Needs a smaller setting for now."


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (["ap_lead"], True),
        (["sendco"], True),
        (["dsl"], True),
        (["headteacher"], False),
        (["attendance_lead"], False),
        (["slt"], False),
    ],
)
def test_only_those_who_write_plans_can_change_them(setting, roles, allowed):
    placement_id = setting.placement()
    browser = setting.browser(roles)
    assert ("Change the plan" in text(browser.get(f"/school/placements/{placement_id}"))) is allowed
    assert browser.get(edit_url(placement_id)).status_code == (200 if allowed else 403)
    if not allowed:
        assert browser.post(edit_url(placement_id), setting.plan(rationale="Not allowed")).status_code == 403
        assert setting.get(placement_id).rationale == "Needs a smaller setting for now."


def test_the_registration_warning_shows_after_a_change_that_crosses_the_line(setting, ap_lead):
    placement_id = setting.placement(pupil_fields={"send_status": SendStatus.EHCP})
    assert "is not registered as a school" not in text(ap_lead.get(f"/school/placements/{placement_id}"))
    response = ap_lead.submit(edit_url(placement_id), setting.plan(hours_per_week="20"))
    assert response.status_code == 302
    page = text(ap_lead.get(response.location))
    assert "Acorn Learning is not registered as a school" in page and "EHC plan" in page
    assert "Acorn Learning is not registered as a school" in text(ap_lead.get(edit_url(placement_id)))


def test_attendance_follows_the_new_timetable(setting, ap_lead, app):
    placement_id = setting.placement()
    with app.app_context():
        assert attendance.is_expected(db.session.get(Placement, placement_id), FRIDAY, "PM")
    timetable = [slot for slot in WEEKDAYS_ALL_DAY if slot != "fri_pm"]
    response = ap_lead.submit(edit_url(placement_id), setting.plan(timetable=timetable, hours_per_week="11"))
    assert response.status_code == 302
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        assert placement.timetable == timetable
        assert not attendance.is_expected(placement, FRIDAY, "PM")
        assert attendance.is_expected(placement, FRIDAY, "AM")
