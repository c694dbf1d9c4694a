"""The demo's progress, reviews and early warning (issue 15), done through the services as the people would:

- Each running placement of Demo Academy and Hillside older than a week has the provider's baseline (recorded in its
  first week) and the school's targets (its intended outcomes, one a line).
- A running placement older than its review interval (Priya's) had its first review then, to continue.
- Jamie's provider has sent the half-term's progress report: a rating and words per target, units achieved, what
  Jamie says and one photo of work (a small generated JPEG through the real photo path: metadata stripped, virus
  scan, storage, encrypted).
- Any running placement that ran in a half-term that has ended has that half-term's report too, so the early-warning
  page shows no "No progress report" alarm. Priya's attendance falls three weeks running (shared.demo: her marks),
  so she is the one placement on it for the AP lead (Jamie's concern shows there for the DSLs only).
- Two earlier placements of Demo Academy that a review ended: Ellis went back to school full time about seven weeks
  ago, so the follow-up of the destination is due on the AP lead's list; Sophie's ended a term before, followed up.

Safe to run twice: each part is skipped when it is there already.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from shared.clock import today as school_today
from shared.extensions import db
from shared.models import (
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    PlacementTarget,
    Pupil,
    User,
)
from shared.services.placements import progress, reviews
from shared.services.placements.progress import Photo, TargetProgress
from shared.services.school_calendar.half_terms import Period

SHOWCASE_PUPIL = "Jamie"  # the placement with the half-term report and its photo
WORK_PHOTO_NAME = "Jamie - workshop project.jpg"
UNITS = "Entry level 3 Functional Skills English: speaking, listening and communicating (passed)"
PUPIL_VOICE = "I like the workshop best. I come in more now because Jo explains things one step at a time."

BASELINE = {
    "english": "Reads at about a Year 7 level; writing is short and avoids longer answers.",
    "maths": "Secure with the four operations on whole numbers; not yet confident with fractions or percentages.",
    "engagement": "Settles in small groups with a familiar adult; walks out when asked to write at length.",
    "attendance": "Attendance at school was 62% last half-term, with most absences on Mondays.",
    "pupil_voice": "I want to do something practical. School is too loud.",
}

REVIEWED = [
    # (first, last, date of birth, year, UPN serial, provider index, weeks since it started (None: from the
    # second week of last school year's summer term), weeks it ran, followed up). Ellis's ended about seven weeks
    # ago, so its follow-up was due about a week ago; Sophie's ended last school year and was followed up.
    ("Ellis", "Brown", date(2011, 1, 20), "10", 6, 0, 13, 7, False),
    ("Sophie", "Clarke", date(2010, 7, 4), "11", 7, 1, None, 12, True),
]


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, f"made by seed_demo before this: {email}"
    return user


def seed_progress(school: Organisation, providers: list[Organisation]) -> None:
    hillside = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.SCHOOL, Organisation.name == "Hillside School")
    )
    schools = {school.id: "ap.lead@demo-academy.example"}
    if hillside is not None:
        schools[hillside.id] = "ap.lead@hillside-school.example"
    _ended_placements(school, providers)
    today = school_today()
    running = list(
        db.session.scalars(
            select(Placement)
            .join(Pupil, Pupil.id == Placement.pupil_id)
            .where(Placement.school_id.in_(list(schools)), Placement.status == PlacementStatus.ACTIVE)
            # The same order on every seed (placements starting on one day by their pupils' names), so two seeds
            # write their audit events in the same order.
            .order_by(Placement.start_date, Pupil.last_name, Pupil.first_name, Placement.school_id)
        )
    )
    from shared.demo import _demo_risk_assessment

    for placement in running:
        _demo_risk_assessment(placement)  # signed before it started (Jamie's, reopened by the concern, is kept)
        if placement.start_date > today - timedelta(days=progress.BASELINE_DAYS):
            continue
        lead = _user(schools[placement.school_id])
        _baseline(placement)
        _targets(placement, lead)
        _first_review(placement, lead, today)
    showcase = next((p for p in running if p.pupil.first_name == SHOWCASE_PUPIL and p.school_id == school.id), None)
    if showcase is not None and not progress.reports_of(showcase.id):
        period = progress.period_to_report(showcase, today)
        if period is not None:
            _report(showcase, period, photo=True)
    for placement in running:  # no running placement misses the report of a half-term that has ended
        for period in progress.periods_of(placement, today):
            if period.end < today and progress.report_for(placement, period) is None:
                _report(placement, period, photo=False)


def _first_review(placement: Placement, lead: User, today: date) -> None:
    """A placement running longer than its review interval had its first review then (so none is overdue)."""
    held_on = placement.start_date + timedelta(weeks=placement.review_interval_weeks, days=1)
    if held_on > today or reviews.last_review_of(placement.id) is not None:
        return
    next_on = reviews.suggested_next_review(placement, held_on)
    reviews.record_review(placement, _review(held_on, "continue", next_review_on=next_on), by=lead)


def _manager(placement: Placement) -> User:
    domain = {"Northside Learning Centre": "northside.example", "Riverside Tuition": "riverside.example"}
    return _user(f"manager@{domain[placement.provider.name]}")


def _baseline(placement: Placement) -> None:
    """The provider's baseline, as recorded two days into the placement."""
    if progress.baseline_of(placement.id) is not None:
        return
    baseline = progress.record_baseline(placement, dict(BASELINE), by=_manager(placement))
    baseline.recorded_at = datetime.combine(placement.start_date + timedelta(days=2), time(15, 0), tzinfo=UTC)
    db.session.commit()


def _targets(placement: Placement, lead: User) -> None:
    """The AP lead's targets: the placement's intended outcomes, one a line."""
    if db.session.scalar(select(PlacementTarget.id).where(PlacementTarget.placement_id == placement.id).limit(1)):
        return
    outcomes = (placement.intended_outcomes or "").rstrip(".").split(";")
    progress.set_targets(placement, "\n".join(o.strip()[:1].upper() + o.strip()[1:] for o in outcomes), by=lead)


PROGRESS_WORDS = [
    ("progressing", "Attendance is up on the baseline; the Monday absences have mostly stopped."),
    ("progressing", "Working towards Functional Skills English: the first unit is passed."),
    ("little", "Talks about school with the mentor, but is not ready to visit yet."),
]


def _report(placement: Placement, period: Period, *, photo: bool) -> None:
    targets = progress.targets_of(placement)
    against = [
        TargetProgress(target, *PROGRESS_WORDS[index % len(PROGRESS_WORDS)]) for index, target in enumerate(targets)
    ]
    progress.write_report(
        placement,
        period,
        against,
        units_achieved=UNITS,
        pupil_voice=PUPIL_VOICE,
        by=_manager(placement),
        photos=[Photo(io.BytesIO(work_photo()), WORK_PHOTO_NAME)] if photo else [],
    )


def work_photo() -> bytes:
    """A small JPEG standing in for a photo of the pupil's work: a drawn bird box design on squared paper."""
    image = Image.new("RGB", (480, 360), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for x in range(0, 480, 20):
        draw.line([(x, 0), (x, 360)], fill=(215, 225, 235))
    for y in range(0, 360, 20):
        draw.line([(0, y), (480, y)], fill=(215, 225, 235))
    draw.polygon([(140, 140), (240, 60), (340, 140)], outline=(40, 40, 40), width=4)
    draw.rectangle([(160, 140), (320, 300)], outline=(40, 40, 40), width=4)
    draw.ellipse([(220, 180), (260, 220)], outline=(40, 40, 40), width=4)
    draw.text((20, 320), "Bird box - front and roof, 15cm x 20cm", fill=(20, 60, 140))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _ended_placements(school: Organisation, providers: list[Organisation]) -> None:
    """Ellis's and Sophie's placements, each ended by a review with the pupil back at school full time."""
    from shared.demo import _demo_marks, _demo_placement, _demo_upn

    lead = _user("ap.lead@demo-academy.example")
    today = school_today()
    for first, last, dob, year, serial, provider_index, weeks, ran, followed_up in REVIEWED:
        upn = _demo_upn(serial)
        if db.session.scalar(select(Pupil.id).where(Pupil.school_id == school.id, Pupil.upn == upn)) is not None:
            continue
        pupil = Pupil(
            school_id=school.id, upn=upn, first_name=first, last_name=last, date_of_birth=dob, year_group=year
        )
        db.session.add(pupil)
        db.session.flush()
        if weeks is None:
            april = date((today.year if today.month >= 9 else today.year - 1), 4, 20)
            start = april + timedelta(days=-april.weekday() % 7)  # a Monday
        else:
            start = today - timedelta(days=today.weekday(), weeks=weeks)  # a Monday
        placement = _demo_placement(school, providers[provider_index], pupil, serial, start=start)
        db.session.commit()
        end = start + timedelta(weeks=ran, days=-3)  # the Friday of its last week
        _demo_marks(placement, until=end)
        midway = start + timedelta(weeks=placement.review_interval_weeks, days=1)  # a Tuesday
        reviews.record_review(
            placement,
            _review(midway, "continue", next_review_on=end),
            by=lead,
        )
        ending = reviews.record_review(placement, _review(end, "cease", end_date=end), by=lead)
        if followed_up:
            reviews.record_follow_up(
                ending,
                f"Spoke to {first}'s head of year: full timetable, attendance 94% since the return, no exclusions.",
                by=lead,
            )
            assert ending.follow_up_on is not None  # a review that ended the placement
            ending.followed_up_at = datetime.combine(ending.follow_up_on, time(11, 0), tzinfo=UTC)
            db.session.commit()


def _review(
    held_on: date, outcome: str, *, next_review_on: date | None = None, end_date: date | None = None
) -> reviews.ReviewRecord:
    ending = outcome == "cease"
    return reviews.ReviewRecord(
        held_on=held_on,
        school_attendees="Amir Lead (AP lead), Sam Sendco (SENDCO)",
        provider_attendees="The provider's manager",
        parents_attendees="Parent",
        pupil_attendee="Yes",
        attendance_notes="Better than at school; most absences were illness." if ending else "Improving.",
        behaviour="No incidents this half-term." if ending else "One walk-out in the first week, none since.",
        academic_progress="Functional Skills English entry level 3 passed; maths on track.",
        wellbeing="Settled and confident; ready for a full timetable." if ending else "Settling well.",
        pupil_voice="I want to go back and finish my GCSEs." if ending else "I like it here.",
        outcome=outcome,
        changes=None,
        end_date=end_date,
        destination="reintegrated" if ending else None,
        next_review_on=next_review_on,
    )
