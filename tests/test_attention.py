""" "Needs your attention" (issue 6): each role's tasks appear when the thing exists and go when it is done, say no
safeguarding content, merge for people with several roles, and the lists run a fixed number of queries."""

import html
import re
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import (
    Concern,
    DocumentStatus,
    EvidenceDocument,
    Incident,
    Notice,
    Placement,
    ProviderPolicyReview,
    ProviderStatus,
    User,
)
from shared.roles import (
    AP_LEAD,
    ATTENDANCE_LEAD,
    DSL,
    HEADTEACHER,
    PROVIDER_DSL,
    PROVIDER_MANAGER,
    PROVIDER_STAFF,
    SENDCO,
)
from shared.services.attendance.marks import MarkEntry, record_mark
from shared.services.evidence import documents as evidence
from shared.services.placements import incidents
from shared.services.safeguarding import concerns, notices

NOW = "2026-11-30 14:30:00"  # a Monday in term, 14:30 in London (GMT): both sessions' marks are overdue
MONDAY = date(2026, 11, 30)


def tasks_on(page: str) -> list[str]:
    found = re.findall(r'govuk-task-list__link"[^>]*>(.*?)</a>', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", t).strip()) for t in found]


def _forget_last_code(browser, person) -> None:
    """Each look signs in afresh, often at the same frozen moment: let the same security code count again."""
    with browser.client.application.app_context():
        db.session.get(User, person.id).totp_last_step = None
        db.session.commit()


def home(new_browser, person, url: str = "/school/", when: str = NOW) -> str:
    browser = new_browser()
    _forget_last_code(browser, person)
    with freeze_time(when):
        browser.sign_in(person)
        response = browser.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def items(new_browser, person, url: str = "/school/", when: str = NOW) -> list[str]:
    return tasks_on(home(new_browser, person, url, when))


def _pending(world, placement_id):
    """A planned placement waiting for the headteacher's decision (world.placement makes agreed ones)."""
    with world.app.app_context():
        db.session.get(Placement, placement_id).headteacher_decision = "pending"
        db.session.commit()
    return placement_id


@pytest.fixture
def school(world):
    return world.school("Demo School")


@pytest.fixture
def provider(world, school):
    return world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)


def test_nothing_to_do_says_so(world, school, new_browser):
    lead = world.user(school, [SENDCO])
    page = home(new_browser, lead)
    assert "Nothing needs your attention" in page
    assert "You can look at placements and their need-to-know summaries." in page
    assert tasks_on(page) == []


# --- the DSL ---------------------------------------------------------------------------------------------------------


def test_dsl_sees_concerns_waiting_without_any_of_their_content(app, world, school, provider, new_browser):
    dsl = world.user(school, [DSL])
    pupil = world.pupil(school, first_name="Zebedee", last_name="Quillfeather")
    placement = world.placement(school, provider, pupil)
    concern_id = world.concern(placement, category="neglect", what_happened="Came in hungry again.")
    world.concern(placement, escalated_at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC))

    page = home(new_browser, dsl)
    assert "2 safeguarding concerns are waiting for acknowledgement (1 escalated to the headteacher)" in tasks_on(page)
    assert "Urgent" in page and "Oldest 3 hours" in page  # sent 10:45, now 14:30
    for secret in ("Zebedee", "Quillfeather", "neglect", "hungry", "Workshop"):
        assert secret not in page

    with app.app_context(), freeze_time(NOW):
        concerns.acknowledge(db.session.get(Concern, concern_id), by=db.session.get(User, dsl.id))
    listed = items(new_browser, dsl)
    assert "1 safeguarding concern is waiting for acknowledgement (1 escalated to the headteacher)" in listed
    assert "1 safeguarding concern acknowledged but not closed" in listed


def test_dsl_sees_notices_until_the_provider_acknowledges_them(app, world, school, provider, new_browser):
    dsl = world.user(school, [DSL])
    provider_dsl = world.user(provider, [PROVIDER_DSL])
    placement = world.placement(school, provider)
    notice_id = world.notice(placement, shared_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))

    page = home(new_browser, dsl)
    assert "1 safeguarding notice is not acknowledged by the provider yet" in tasks_on(page)
    assert "Domestic" not in page and "OE/2026" not in page

    with app.app_context():
        db.session.get(Notice, notice_id).chased_at = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
        db.session.commit()
    assert "1 safeguarding notice is not acknowledged by the provider yet (1 already chased)" in items(new_browser, dsl)

    with app.app_context(), freeze_time(NOW):
        notices.acknowledge(db.session.get(Notice, notice_id), by=db.session.get(User, provider_dsl.id))
    assert not any("notice" in t for t in items(new_browser, dsl))


def test_dsl_sees_provider_policies_to_review_until_reviewed(app, world, school, provider, new_browser):
    dsl = world.user(school, [DSL])
    with freeze_time("2026-11-30 09:00:00"):  # uploaded the day before the review (whatever today's date is)
        document = world.document(provider, "safeguarding_policy", status="verified")
    assert "1 provider's child protection policy to review" in items(new_browser, dsl)
    with app.app_context(), freeze_time("2026-12-01 09:00:00"):
        db.session.add(
            ProviderPolicyReview(
                document_id=document,
                school_id=school,
                provider_id=provider,
                outcome="meets_expectations",
                comments="Fine",
                reviewed_by_id=dsl.id,
            )
        )
        db.session.commit()
    assert not any("policy" in t for t in items(new_browser, dsl, when="2026-12-01 10:00:00"))


# --- the attendance lead -------------------------------------------------------------------------------------------


def _mark(app, placement_id, session, kind, reason=None):
    with app.app_context(), freeze_time(NOW):
        placement = db.session.get(Placement, placement_id)
        record_mark(placement, MONDAY, session, MarkEntry.parse(kind, None, reason), by=None)


def test_attendance_lead_sees_unmarked_sessions_and_unexplained_absences(app, world, school, provider, new_browser):
    lead = world.user(school, [ATTENDANCE_LEAD])
    first = world.placement(school, provider, world.pupil(school, first_name="Zebedee"), timetable=["mon_am"])
    second = world.placement(school, provider, timetable=["mon_am"])

    listed = items(new_browser, lead)
    assert "2 sessions today are still not marked by the provider" in listed
    assert items(new_browser, lead, when="2026-11-30 08:00:00") == []  # not due yet

    _mark(app, first, "AM", "present")
    _mark(app, second, "AM", "absent", "unexplained")
    page = home(new_browser, lead)
    assert "Zebedee" not in page
    listed = tasks_on(page)
    assert not any("not marked" in t for t in listed)
    assert "1 absence today with no reason given" in listed
    # The next school day, it is an earlier absence waiting for the school's decision.
    assert "1 earlier absence still coded N, waiting for the school's decision" in items(
        new_browser, lead, when="2026-12-01 08:00:00"
    )


# --- the AP lead -----------------------------------------------------------------------------------------------------


def test_ap_lead_sees_documents_to_verify_until_verified(app, world, school, new_browser):
    lead = world.user(school, [AP_LEAD])
    onboarding = world.provider(school, "New Provider")
    document_id = world.document(onboarding, "behaviour_policy")
    assert "1 piece of evidence is waiting for you to check" in items(new_browser, lead)

    with app.app_context():
        document = db.session.get(EvidenceDocument, document_id)
        kind_checklist = dict.fromkeys(evidence.BY_CODE["behaviour_policy"].checklist, True)
        evidence.verify(
            document,
            evidence.Verification(kind_checklist, review_date=date(2026, 9, 1)),
            by=db.session.get(User, lead.id),
            roles=frozenset({AP_LEAD}),
            today=MONDAY,
        )
        assert document.status == DocumentStatus.VERIFIED
    assert "1 piece of evidence is waiting for you to check" not in items(new_browser, lead)


def test_ap_lead_sees_providers_reviews_incidents_and_registration(app, world, school, provider, new_browser):
    lead = world.user(school, [AP_LEAD])
    world.provider(school, "Submitted Provider", ProviderStatus.SUBMITTED)
    world.provider(school, "No Evidence Farm", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(school, looked_after=True)
    placement = world.placement(school, provider, pupil, hours_per_week=25)  # first review due 19 October
    incident_id = world.incident(placement, severity="serious")

    listed = items(new_browser, lead)
    assert "1 organisation is waiting for your approval decision" in listed
    assert "1 approved organisation is at risk: required evidence is out of date or missing" in listed
    assert "1 placement review is overdue" in listed
    assert "1 incident has not been acknowledged" in listed
    assert "1 serious incident needs a course of action" in listed
    assert "1 organisation would need to register as an independent school with the placements planned" in listed
    assert listed.index("1 serious incident needs a course of action") < listed.index("1 placement review is overdue")

    with app.app_context(), freeze_time(NOW):
        incidents.acknowledge(db.session.get(Incident, incident_id), by=db.session.get(User, lead.id))
    listed = items(new_browser, lead)
    assert not any("not been acknowledged" in t for t in listed)
    assert "1 serious incident needs a course of action" in listed
    world.review(placement, held_on=date(2026, 11, 23), next_review_on=date(2027, 1, 11))
    assert "1 placement review is overdue" not in items(new_browser, lead)


# --- the SENDCO and the headteacher --------------------------------------------------------------------------------


def test_sendco_sees_missing_summaries_and_reintegration(app, world, school, provider, new_browser):
    sendco = world.user(school, [SENDCO])
    placement = world.placement(school, provider, max_end_date=date(2026, 12, 18))
    listed = items(new_browser, sendco)
    assert "1 placement has no need-to-know summary for the provider" in listed
    assert "1 placement reaches its latest end date within 4 weeks: review the reintegration plan" in listed

    with app.app_context():
        db.session.get(Placement, placement).summary_support_plan = "Short tasks; quiet room available."
        db.session.commit()
    assert "1 placement has no need-to-know summary for the provider" not in items(new_browser, sendco)


def test_headteacher_sees_decisions_and_escalations_and_a_dsl_head_sees_each_once(
    app, world, school, provider, new_browser
):
    head = world.user(school, [HEADTEACHER])
    placement = _pending(world, world.placement(school, provider, status="planned"))
    world.concern(placement, escalated_at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC), category="neglect")
    page = home(new_browser, head)
    listed = tasks_on(page)
    assert "1 placement is waiting for your decision" in listed
    assert "1 safeguarding concern has been escalated to you: not acknowledged by a DSL in time" in listed
    assert "neglect" not in page

    both = world.user(school, [DSL, HEADTEACHER, SENDCO])
    listed = items(new_browser, both)
    assert len(listed) == len(set(listed))
    assert "1 placement is waiting for your decision" in listed
    assert "1 safeguarding concern is waiting for acknowledgement (1 escalated to the headteacher)" in listed
    assert "1 placement has no need-to-know summary for the provider" in listed
    assert listed[0].startswith("1 safeguarding concern")  # urgent first


def test_headteacher_sees_the_ap_budget_position(app, world, school, provider, new_browser):
    from shared.services.reports import budget

    head = world.user(school, [HEADTEACHER])
    # A placement costed for the whole placement: £2,500 in the school year it starts (7 September 2026).
    world.placement(school, provider, cost_pence=250_000, cost_period="placement")
    assert "No AP budget is recorded for the 2026 to 2027 school year: enter the one the governors approved" in items(
        new_browser, head
    )
    with app.app_context(), freeze_time(NOW):
        from shared.models import Organisation, User

        budget.save_budget(
            db.session.get(Organisation, school),
            year=2026,
            amount="2,000",
            approved_on=None,
            by=db.session.get(User, head.id),
            today=date(2026, 11, 30),
        )
    listed = items(new_browser, head)
    assert "Placements agreed for 2026 to 2027 cost £2,500: £500 over the £2,000 AP budget" in listed
    with app.app_context(), freeze_time(NOW):
        budget.save_budget(
            db.session.get(Organisation, school),
            year=2026,
            amount="10000",
            approved_on=None,
            by=db.session.get(User, head.id),
            today=date(2026, 11, 30),
        )
    assert "AP budget 2026 to 2027: £2,500 committed of £10,000, £2,500 of it to date" in items(new_browser, head)
    # Nobody but the headteacher has the line.
    assert not any("budget" in t for t in items(new_browser, world.user(school, [AP_LEAD])))


# --- the provider --------------------------------------------------------------------------------------------------


def test_provider_home_lists_each_roles_tasks(app, world, school, provider, new_browser):
    manager = world.user(provider, [PROVIDER_MANAGER])
    staff = world.user(provider, [PROVIDER_STAFF])
    provider_dsl = world.user(provider, [PROVIDER_DSL])
    placement = world.placement(school, provider, timetable=["mon_am", "mon_pm"])
    world.incident(placement)
    world.document(provider, "public_liability_insurance", status="rejected")
    world.notice(placement)
    world.concern(placement, status="raised", category="neglect")
    world.school_policy(school)

    page = home(new_browser, manager, "/portal/")
    assert "Hill Farm Learning" in page and "Onboarding status" in page
    listed = tasks_on(page)
    assert "2 attendance marks are due today (2 past the time agreed with the school)" in listed
    assert "1 incident you reported is waiting for the school to acknowledge" in listed
    assert any(t.startswith("1 piece of evidence to renew") for t in listed)
    assert not any("notice" in t for t in listed)

    assert items(new_browser, staff, "/portal/") == [
        "2 attendance marks are due today (2 past the time agreed with the school)",
        "Read Demo School's child protection policy (version 1) and confirm you will follow it",
        "1 incident you reported is waiting for the school to acknowledge",
    ]

    page = home(new_browser, provider_dsl, "/portal/")
    listed = tasks_on(page)
    assert "1 safeguarding notice from the school is waiting for you to acknowledge" in listed
    assert "1 safeguarding concern from your staff is waiting to be sent to the school" in listed
    assert "Demo School's child protection policy (version 1) is waiting for you to confirm" in listed
    assert "neglect" not in page and "Domestic" not in page

    _mark(app, placement, "AM", "present")
    _mark(app, placement, "PM", "present")
    assert not any("attendance" in t for t in items(new_browser, staff, "/portal/"))


def test_provider_sees_reviews_to_attend_in_the_next_fortnight(world, school, provider, new_browser):
    manager = world.user(provider, [PROVIDER_MANAGER])
    placement = world.placement(school, provider)
    world.review(placement, held_on=date(2026, 11, 2), next_review_on=date(2026, 12, 10))
    assert "1 placement review is due in the next 14 days: the school will ask you to attend" in items(
        new_browser, manager, "/portal/"
    )
    assert not any("review" in t for t in items(new_browser, manager, "/portal/", when="2026-11-20 10:00:00"))


# --- a fixed number of queries -------------------------------------------------------------------------------------


ROLES = [DSL, ATTENDANCE_LEAD, AP_LEAD, SENDCO, HEADTEACHER]


def _school_of(world, size: int):
    school = world.school(f"School of {size}")
    for n in range(size):
        provider = world.provider(school, f"Provider {n}", ProviderStatus.APPROVED)
        world.provider(school, f"Applicant {n}", ProviderStatus.SUBMITTED)
        world.document(provider, "safeguarding_policy", status="verified")
        world.document(provider, "behaviour_policy")
        placement = world.placement(school, provider, world.pupil(school, looked_after=True), hours_per_week=25)
        _pending(world, world.placement(school, provider, status="planned"))
        world.incident(placement, severity="serious")
        world.concern(placement)
        world.notice(placement)
    return {role: world.user(school, [role]) for role in ROLES} | {"all": world.user(school, ROLES)}


def _queries(new_browser, statements, person) -> int:
    browser = new_browser()
    _forget_last_code(browser, person)
    with freeze_time(NOW):
        browser.sign_in(person)
        statements.clear()
        response = browser.get("/school/")
    assert response.status_code == 200 and tasks_on(response.get_data(as_text=True))
    return len(statements)


def test_every_school_list_runs_the_same_few_queries_for_1_or_6_providers(world, new_browser, statements):
    small, big = _school_of(world, 1), _school_of(world, 6)
    for who in [*ROLES, "all"]:
        few, many = _queries(new_browser, statements, small[who]), _queries(new_browser, statements, big[who])
        assert few == many, f"{who}: {few} queries for 1 provider, {many} for 6"
        if who != "all":
            assert many <= 20, f"{who}: {many} queries"
