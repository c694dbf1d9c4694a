"""The EHC plan annual review pack (issue 15): one PDF, from the school's placement page, of the plan, the baseline,
the targets, the progress reports, attendance and the reviews of a pupil with an EHC plan, and nothing about
safeguarding (no concern, risk assessment, incident narrative, notice, child-protection status or social worker)."""

import io
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from PIL import Image
from pypdf import PdfReader

from shared.extensions import db
from shared.models import (
    AttendanceMark,
    AuditEvent,
    ChildProtectionStatus,
    Placement,
    ProviderStatus,
    SchoolTerm,
    SendStatus,
    User,
)
from shared.roles import AP_LEAD, ATTENDANCE_LEAD, DSL, HEADTEACHER, PROVIDER_MANAGER, PROVIDER_STAFF, SENDCO, SLT
from shared.services.placements import progress
from shared.services.placements.progress import TargetProgress
from shared.services.school_calendar.half_terms import half_terms
from tests.test_attention import _forget_last_code

NOW = "2026-11-30 14:30:00"  # a Monday in the second half of the autumn term
LINK = "Download the EHC plan annual review pack (PDF)"

# Safeguarding content with distinctive words: none of it may reach the pack.
SAFEGUARDING = {
    "concern": "Zebracrossing bruise on the left arm",
    "risk assessment": "Quokkaville older youths near the station",
    "incident": "Narwhalgate threw a stapler",
    "incident actions": "Pangolinwise restraint by two staff",
    "notice details": "Axolotlbury domestic incident at home",
    "notice for the provider": "Capybarafield be ready for a tired day",
    "social worker": "Wombatsley Socialworker",
    "agencies": "Ocelotton children's social care",
    "child protection": "child protection plan",
}


@pytest.fixture
def school(world, app):
    school = world.school("Demo School")
    with app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="Autumn term",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 18),
                half_term_starts=date(2026, 10, 26),
                half_term_ends=date(2026, 10, 30),
            )
        )
        db.session.commit()
    return school


@pytest.fixture
def provider(world, school):
    return world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)


def _placement(world, school, provider, send_status=SendStatus.EHCP, first_name="Jamie"):
    pupil = world.pupil(
        school,
        first_name=first_name,
        last_name="Smith",
        year_group="10",
        send_status=send_status,
        child_protection=ChildProtectionStatus.CHILD_PROTECTION_PLAN,
        social_worker_name=SAFEGUARDING["social worker"],
        social_worker_email="wombat@council.example",
    )
    return world.placement(
        school,
        provider,
        pupil,
        timetable=["mon_am", "mon_pm", "wed_am"],
        hours_per_week=7.5,
        primary_reason="semh",
        rationale="Struggles in large classes; thrives in practical work",
        intended_outcomes="Reading age up a year\nAttend 90% of sessions",
        review_arrangements="Every six weeks at the school with the provider",
        reintegration_criteria="Back to full time after two terms above 90%",
        summary_send_needs="Dyslexia; processing speed low",
        summary_semh_needs="Anxiety in crowded rooms",
        summary_support_plan="Reader and extra time; quiet room",
        summary_interventions="Lexia twice a week",
        summary_agencies=SAFEGUARDING["agencies"],
        summary_updated_at=datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
    )


def _mark(app, placement_id, day: date, session: str, present: bool) -> None:
    with app.app_context():
        p = db.session.get(Placement, placement_id)
        db.session.add(
            AttendanceMark(
                placement_id=p.id,
                school_id=p.school_id,
                provider_id=p.provider_id,
                pupil_id=p.pupil_id,
                day=day,
                session=session,
                kind="present" if present else "absent",
                reason=None if present else "illness",
                reason_text=None,
                code="B" if present else "I",
            )
        )
        db.session.commit()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _everything(app, world, school, provider, placement) -> None:
    """Baseline, targets, a half-term's report with a photo, marks, a review; and a concern, a joint risk assessment,
    an incident and a notice with distinctive words."""
    lead = world.user(school, [AP_LEAD])
    staff = world.user(provider, [PROVIDER_STAFF])
    with freeze_time(NOW), app.app_context():
        p = db.session.get(Placement, placement)
        by = db.session.get(User, staff.id)
        progress.record_baseline(
            p,
            {
                "english": "Reads at age 9",
                "maths": "Secure on times tables",
                "engagement": "Refuses group work",
                "attendance": "55% at school last term",
                "pupil_voice": "School is boring",
            },
            by=by,
        )
        progress.set_targets(p, "Read a whole novel\nAttend 95% of sessions", by=db.session.get(User, lead.id))
        progress.write_report(
            p,
            half_terms(school)[0],
            [
                TargetProgress("Read a whole novel", "met", "Finished Holes by Louis Sachar"),
                TargetProgress("Attend 95% of sessions", "little", "Missed Mondays"),
            ],
            units_achieved="Functional Skills English Entry 3: reading",
            pupil_voice="I like the bike workshop",
            by=by,
            photos=[progress.Photo(io.BytesIO(_png()), "bike-frame.png")],
        )
    _mark(app, placement, date(2026, 9, 7), "AM", True)
    _mark(app, placement, date(2026, 9, 7), "PM", False)
    _mark(app, placement, date(2026, 11, 2), "AM", True)
    world.review(
        placement,
        held_on=date(2026, 10, 19),
        attendees={"school": "Ms Patel (AP lead)", "provider": "Mr Jones", "parents": "Mum", "pupil": "Jamie"},
        attendance_percent=87.5,
        incident_count=1,
        attendance_notes="Mondays are hard",
        behaviour="Settled in the workshop",
        academic_progress="Reading more fluently",
        wellbeing="Happier than at school",
        pupil_voice="I want to stay",
        outcome="adjust",
        changes="Add Friday mornings",
        next_review_on=date(2026, 12, 7),
    )
    world.concern(placement, what_happened=SAFEGUARDING["concern"])
    world.risk_assessment(placement, risk_text=SAFEGUARDING["risk assessment"])
    world.incident(placement, description=SAFEGUARDING["incident"], actions_taken=SAFEGUARDING["incident actions"])
    details, provider_text = SAFEGUARDING["notice details"], SAFEGUARDING["notice for the provider"]
    world.notice(placement, incident_details=details, provider_text=provider_text)


def _signed_in(new_browser, person):
    browser = new_browser()
    _forget_last_code(browser, person)
    browser.sign_in(person)
    return browser


def _text(response) -> str:
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_the_pack_holds_the_plan_progress_attendance_and_reviews_and_no_safeguarding(
    app, world, school, provider, new_browser
):
    placement = _placement(world, school, provider)
    _everything(app, world, school, provider, placement)
    sendco = world.user(school, [SENDCO])
    with freeze_time(NOW):
        browser = _signed_in(new_browser, sendco)
        page = browser.get(f"/school/placements/{placement}").get_data(as_text=True)
        url = f"/school/placements/{placement}/ehcp-pack.pdf"
        assert LINK in page and url in page
        response = browser.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ehcp-annual-review-pack.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = _text(response)
    for expected in (
        "EHC plan annual review pack",
        # the placement
        "Jamie Smith",
        "Year 10",
        "Education, health and care plan",
        "Demo School",
        "Hill Farm Learning",
        "7 September 2026",
        # the plan
        "Monday AM, Monday PM, Wednesday AM",
        "Hours a week 7.5",
        "Struggles in large classes; thrives in practical work",
        "Reading age up a year",
        "Every six weeks at the school with the provider",
        "Back to full time after two terms above 90%",
        "Social, emotional and mental health needs",
        "Dyslexia; processing speed low",
        "Anxiety in crowded rooms",
        "Reader and extra time; quiet room",
        "Lexia twice a week",
        # the baseline
        "Where the pupil started (baseline)",
        "Reads at age 9",
        "Secure on times tables",
        "Refuses group work",
        "55% at school last term",
        "School is boring",
        # targets and the report
        "1. Read a whole novel",
        "2. Attend 95% of sessions",
        "Autumn term, first half",
        "Target 1: Read a whole novel Met. Finished Holes by Louis Sachar",
        "Target 2: Attend 95% of sessions Little progress. Missed Mondays",
        "Functional Skills English Entry 3: reading",
        "I like the bike workshop",
        "bike-frame.png",
        # attendance from the marks: 1 of 2 in the first half-term, 1 of 1 in the second, 2 of 3 in all
        "Autumn term, first half 1 of 2 50%",
        "Autumn term, second half 1 of 1 100%",
        "Whole placement 2 of 3 66.7%",
        # the review
        "Review held on 19 October 2026",
        "Ms Patel (AP lead)",
        "Mr Jones",
        "87.5%",
        "Incidents since the last review (number) 1",
        "Mondays are hard",
        "Settled in the workshop",
        "Reading more fluently",
        "Happier than at school",
        "I want to stay",
        "Adjust the placement",
        "Add Friday mornings",
        "7 December 2026",
        "No safeguarding information is included in this pack.",
    ):
        assert expected in text, expected
    for what, words in SAFEGUARDING.items():
        assert words.lower() not in text.lower(), what
    assert "wombat@council.example" not in text and "Agencies" not in text
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="placement.ehcp_pack_downloaded").all()
        assert [(e.actor_user_id, e.object_id, e.organisation_id) for e in events] == [
            (sendco.id, str(placement), school)
        ]
        assert events[0].details["pages"] == len(PdfReader(io.BytesIO(response.data)).pages)


def test_a_pack_with_nothing_recorded_yet_says_so(app, world, school, provider, new_browser):
    placement = _placement(world, school, provider)
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(school, [HEADTEACHER]))
        response = browser.get(f"/school/placements/{placement}/ehcp-pack.pdf")
    assert response.status_code == 200
    text = _text(response)
    for expected in (
        "The provider has not recorded the baseline.",
        "No progress reports yet.",
        "Whole placement 0 of 0 No sessions marked",
        "No reviews held yet.",
        "1. Reading age up a year",  # the intended outcomes, until the school sets targets
    ):
        assert expected in text, expected


def test_the_pack_holds_the_reintegration_plan_when_a_review_chose_a_phased_return(
    app, world, school, provider, new_browser
):
    from shared.models import ReintegrationPlan

    placement = _placement(world, school, provider)
    review = world.review(placement, held_on=date(2026, 11, 23), outcome="phased", next_review_on=None)
    with app.app_context():
        db.session.add(
            ReintegrationPlan(
                placement_id=placement,
                school_id=school,
                provider_id=provider,
                review_id=review,
                starts_on=date(2026, 12, 7),
                weeks=[{"provider": ["mon_am"], "school": ["mon_pm", "tue_am"]}, {"provider": [], "school": []}],
                school_support="Ms Okafor meets Jamie at the gate",
                written_by_id=world._someone(school),
            )
        )
        db.session.commit()
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(school, [SENDCO]))
        text = _text(browser.get(f"/school/placements/{placement}/ehcp-pack.pdf"))
    for expected in (
        "Reintegration plan",
        "A phased return to school from 7 December 2026, 2 weeks; the placement ends on 18 December 2026.",
        "7 Dec 2026 Provider / School School / Neither",
        "Ms Okafor meets Jamie at the gate",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("role", [AP_LEAD, HEADTEACHER, SLT, SENDCO, DSL])
def test_the_link_shows_for_a_pupil_with_an_ehc_plan_only(app, world, school, provider, new_browser, role):
    ehcp = _placement(world, school, provider)
    support = _placement(world, school, provider, SendStatus.SEN_SUPPORT, first_name="Robin")
    none = _placement(world, school, provider, SendStatus.NONE, first_name="Sam")
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(school, [role]))
        assert LINK in browser.get(f"/school/placements/{ehcp}").get_data(as_text=True)
        assert browser.get(f"/school/placements/{ehcp}/ehcp-pack.pdf").status_code == 200
        for other in (support, none):
            page = browser.get(f"/school/placements/{other}")
            assert page.status_code == 200 and LINK not in page.get_data(as_text=True)
            assert browser.get(f"/school/placements/{other}/ehcp-pack.pdf").status_code == 404


def test_another_schools_placement_the_provider_and_the_attendance_lead_cannot_have_it(
    app, world, school, provider, new_browser
):
    placement = _placement(world, school, provider)
    _everything(app, world, school, provider, placement)
    url = f"/school/placements/{placement}/ehcp-pack.pdf"
    other_school = world.school("Other School")
    with freeze_time(NOW):
        stranger = _signed_in(new_browser, world.user(other_school, [AP_LEAD]))
        assert stranger.get(url).status_code == 404
        # The attendance lead reads placements but not reviews: no link, and the pack is refused.
        attendance = _signed_in(new_browser, world.user(school, [ATTENDANCE_LEAD]))
        assert LINK not in attendance.get(f"/school/placements/{placement}").get_data(as_text=True)
        assert attendance.get(url).status_code == 403
        for role in (PROVIDER_MANAGER, PROVIDER_STAFF):
            provider_browser = _signed_in(new_browser, world.user(provider, [role]))
            assert provider_browser.get(url).status_code == 403
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="placement.ehcp_pack_downloaded").count() == 0
