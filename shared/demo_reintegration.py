"""The demo's phased return to school (issue 15): Kai Bennett, placed at Northside by Demo Academy since September, had
a review last week that chose a phased return; the AP lead wrote the reintegration plan, three weeks from next
Monday. Northside's register follows it from then, and the placement ends on the plan's last Friday. Safe to run
twice: nothing is added once Kai is there."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from shared.clock import today as school_today
from shared.extensions import db
from shared.models import Organisation, Pupil, SendStatus, User
from shared.services.placements import progress, reintegration, reviews

UPN_SERIAL = 701


def seed_reintegration(school: Organisation, northside: Organisation) -> None:
    from shared.demo import _demo_marks, _demo_placement, _demo_upn

    upn = _demo_upn(UPN_SERIAL)
    if db.session.scalar(select(Pupil.id).where(Pupil.school_id == school.id, Pupil.upn == upn)) is not None:
        return
    lead = db.session.scalar(select(User).where(User.email == "ap.lead@demo-academy.example"))
    assert lead is not None, "seed_demo makes the AP lead first"
    pupil = Pupil(
        school_id=school.id,
        upn=upn,
        first_name="Kai",
        last_name="Bennett",
        date_of_birth=date(2012, 2, 14),
        year_group="9",
        send_status=SendStatus.EHCP,  # the placement page offers the EHC plan annual review pack
    )
    db.session.add(pupil)
    db.session.flush()
    placement = _demo_placement(school, northside, pupil, UPN_SERIAL)
    today = school_today()
    placement.start_date = today - timedelta(days=today.weekday(), weeks=13)  # a Monday 13 weeks ago
    placement.max_end_date = placement.start_date + timedelta(weeks=26)
    placement.review_interval_weeks = 6
    db.session.commit()
    _demo_marks(placement)
    from shared.demo import _demo_risk_assessment
    from shared.demo_progress import _baseline, _report, _targets

    _demo_risk_assessment(placement)

    _baseline(placement)
    _targets(placement, lead)
    for period in progress.periods_of(placement, today):  # the half-terms that have ended have their reports
        if period.end < today and progress.report_for(placement, period) is None:
            _report(placement, period, photo=False)
    first_review = placement.start_date + timedelta(weeks=placement.review_interval_weeks)
    reviews.record_review(
        placement,
        reviews.ReviewRecord(
            held_on=first_review,
            school_attendees="Amir Lead (AP lead)",
            provider_attendees="Northside's manager",
            parents_attendees="Kai's dad",
            pupil_attendee="Attended the second half",
            attendance_notes="Most sessions; the absences were illness.",
            behaviour="Two early arguments in the workshop, none since.",
            academic_progress="Working at Entry 3 in English and maths.",
            wellbeing="Settling; still anxious on Monday mornings.",
            pupil_voice="It's better than school. I like the bike workshop.",
            outcome="continue",
            changes=None,
            end_date=None,
            destination=None,
            next_review_on=first_review + timedelta(weeks=placement.review_interval_weeks),
        ),
        by=lead,
        today=today,
    )
    held_on = today - timedelta(days=3)
    reviews.record_review(
        placement,
        reviews.ReviewRecord(
            held_on=held_on,
            school_attendees="Amir Lead (AP lead), Sam Sendco (SENDCO)",
            provider_attendees="Northside's manager",
            parents_attendees="Kai's dad",
            pupil_attendee="Attended all of it",
            attendance_notes="About three sessions in four, as the figures say; the absences were illness.",
            behaviour="No incidents since October.",
            academic_progress="Entry 3 English and maths achieved; working towards level 1.",
            wellbeing="Calmer, sleeping better, says he is ready.",
            pupil_voice="I want to go back if I can keep coming here on Mondays at first.",
            outcome=reviews.PHASED,
            changes=None,
            end_date=None,
            destination=None,
            next_review_on=None,
        ),
        by=lead,
        today=today,
    )
    reintegration.save_plan(
        placement,
        reintegration.PlanDetails(
            starts_on=today - timedelta(days=today.weekday()) + timedelta(weeks=1),
            weeks=reintegration.default_weeks(placement, 3),
            school_support="Ms Patel (pastoral lead) meets Kai at the gate each morning and checks in at lunch.",
            provider_support="Northside's manager visits school with Kai on his first morning back.",
            family_support="Kai's dad drops him at school on the days he is there.",
            notes="A check-in every Friday with the AP lead, Kai and his dad.",
        ),
        by=lead,
        today=today,
    )
