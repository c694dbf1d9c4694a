"""Reintegration plans (issue 15): a review chooses a phased return to school ("phased"), and the AP lead or SENDCO
writes the return week by week.

- Each week gives each of the ten AM/PM sessions a place: the provider, school, or neither. The provider's sessions
  become the placement's timetable for that week (Placement.timetable_weeks), so the provider's register and the
  school's day page expect the pupil only then; the double-booking check reads both the provider's and the school's
  sessions of every week (plans.timetable_clash).
- Saving the plan ends the placement on its last day (the Friday of its last week) with the destination "back at
  school full time", and the review's destination follow-up falls FOLLOW_UP_WEEKS after that: the follow-up task
  on the AP lead's list.
- The plan may be changed until its last day, except the weeks that have started: what the register expected then
  stays what it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from shared import audit
from shared.clock import local_now
from shared.display import day_words
from shared.extensions import db
from shared.models import (
    Organisation,
    Placement,
    PlacementReview,
    PlacementStatus,
    ReintegrationPlan,
    User,
    utcnow,
)
from shared.models.pupil import TIMETABLE_SLOTS
from shared.models.reintegration import AT_NEITHER, AT_PROVIDER, AT_SCHOOL
from shared.services.errors import Problems, RuleBroken
from shared.services.placements import plans
from shared.services.placements.reviews import FOLLOW_UP_WEEKS, PHASED, last_review_of, latest_reviews
from shared.text import checked

MAX_WEEKS = 12
DEFAULT_WEEKS = 4
PLACES = {AT_PROVIDER: "At the provider", AT_SCHOOL: "At school", AT_NEITHER: "Neither"}
REINTEGRATED = "reintegrated"  # plans.END_DESTINATIONS


@dataclass
class PlanDetails:
    starts_on: date | None
    # Each week: slot -> AT_PROVIDER | AT_SCHOOL | AT_NEITHER (a missing slot is neither).
    weeks: list[dict[str, str]] = field(default_factory=list)
    school_support: str | None = None
    provider_support: str | None = None
    family_support: str | None = None
    notes: str | None = None


def plan_of(placement_id: uuid.UUID) -> ReintegrationPlan | None:
    return db.session.scalar(select(ReintegrationPlan).where(ReintegrationPlan.placement_id == placement_id))


def review_choosing_it(placement: Placement) -> PlacementReview | None:
    """The review that chose a phased return for a running placement whose plan is still to be written: the last
    review, when its outcome was PHASED."""
    if placement.status != PlacementStatus.ACTIVE:
        return None
    last = last_review_of(placement.id)
    return last if is_to_write(placement, last) else None


def is_to_write(placement: Placement, last_review: PlacementReview | None) -> bool:
    """Whether the placement's plan is still to be written: it is running and its last review chose a phased
    return (saving the plan ends the placement, so a running one has none)."""
    return placement.status == PlacementStatus.ACTIVE and last_review is not None and last_review.outcome == PHASED


def plans_to_write(school_id: uuid.UUID) -> list[Placement]:
    """The school's running placements whose last review chose a phased return and whose plan is not written yet
    (two queries)."""
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE)
        )
    )
    latest = latest_reviews([p.id for p in placements])
    return [p for p in placements if is_to_write(p, latest.get(p.id))]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_started(plan: ReintegrationPlan, today: date) -> int:
    """How many of the plan's weeks have started (today's week included): those are kept as they are."""
    return sum(1 for monday in plan.week_starts() if monday <= today)


def can_change(plan: ReintegrationPlan, today: date) -> bool:
    return today <= plan.last_day


def default_weeks(placement: Placement, count: int) -> list[dict[str, str]]:
    """A first draft: the provider's sessions handed back to school a few more each week, the pupil at school for
    every other session, and at school full time in the last week."""
    at_provider = [slot for slot in TIMETABLE_SLOTS if slot in (placement.timetable or [])]
    weeks = []
    for number in range(1, count + 1):
        keep = len(at_provider) - round(len(at_provider) * number / count)
        kept = set(at_provider[:keep])
        weeks.append({slot: AT_PROVIDER if slot in kept else AT_SCHOOL for slot in TIMETABLE_SLOTS})
    return weeks


def as_choices(plan: ReintegrationPlan) -> list[dict[str, str]]:
    """The plan's weeks as the form's choices (slot -> place)."""
    out = []
    for week in plan.weeks:
        provider, school = set(week.get("provider", [])), set(week.get("school", []))
        out.append(
            {
                slot: AT_PROVIDER if slot in provider else AT_SCHOOL if slot in school else AT_NEITHER
                for slot in TIMETABLE_SLOTS
            }
        )
    return out


def _stored_weeks(choices: list[dict[str, str]]) -> list[dict[str, list[str]]]:
    return [
        {
            "provider": [slot for slot in TIMETABLE_SLOTS if week.get(slot) == AT_PROVIDER],
            "school": [slot for slot in TIMETABLE_SLOTS if week.get(slot) == AT_SCHOOL],
        }
        for week in choices
    ]


def _check(
    placement: Placement, details: PlanDetails, existing: ReintegrationPlan | None, today: date
) -> tuple[date, list[dict[str, list[str]]], dict[str, str | None]]:
    found = Problems()
    starts_on = details.starts_on
    started = weeks_started(existing, today) if existing is not None else 0
    if existing is not None and started:
        if starts_on != existing.starts_on:
            found.add(
                f"The plan started on {day_words(existing.starts_on)}, so its first week cannot move", "starts_on"
            )
            starts_on = existing.starts_on
    elif starts_on is None:
        found.add("Enter the Monday the phased return starts", "starts_on")
    elif starts_on.weekday() != 0:
        found.add(
            f"The plan goes week by week from a Monday: enter the Monday of the first week, for example "
            f"{day_words(monday_of(starts_on) + timedelta(weeks=1))}",
            "starts_on",
        )
    elif starts_on < today:
        found.add("The phased return must start today or later: enter a Monday still to come", "starts_on")
    elif starts_on < placement.start_date:
        found.add("The phased return must start after the placement started", "starts_on")

    weeks = details.weeks
    if not 1 <= len(weeks) <= MAX_WEEKS:
        found.add(f"A plan has between 1 and {MAX_WEEKS} weeks", "weeks")
    for number, week in enumerate(weeks, start=1):
        if any(place not in PLACES for place in week.values()) or any(slot not in TIMETABLE_SLOTS for slot in week):
            found.add(f"Choose at the provider, at school or neither for each session of week {number}", "weeks")
            break
    stored = _stored_weeks(weeks)
    if weeks and not any(week["provider"] or week["school"] for week in stored):
        found.add("Plan at least one session, at the provider or at school", "weeks")
    if existing is not None and started:
        kept = existing.weeks[:started]
        if len(stored) < started:
            found.add(
                f"{started} weeks of the plan have started, so it cannot be shorter than {started} weeks", "weeks"
            )
        elif stored[:started] != kept:
            found.add("Weeks that have started cannot be changed: only the weeks still to come", "weeks")
    support = {
        "school_support": found.attempt(
            lambda: checked(
                details.school_support,
                "school_support",
                required="Enter who supports the pupil at school, for example their key adult",
                limit=2000,
            )
        ),
        "provider_support": found.attempt(lambda: checked(details.provider_support, "provider_support", limit=2000)),
        "family_support": found.attempt(lambda: checked(details.family_support, "family_support", limit=2000)),
        "notes": found.attempt(lambda: checked(details.notes, "notes", limit=5000)),
    }
    found.raise_any()
    assert starts_on is not None
    last_day = starts_on + timedelta(weeks=len(stored) - 1, days=4)
    if placement.max_end_date is not None and last_day > placement.max_end_date:
        raise RuleBroken(
            f"The plan runs to {day_words(last_day)}, after {day_words(placement.max_end_date)}, the latest this "
            "placement may run without a new decision by the headteacher. Shorten the plan, or change the "
            "placement's latest end date first.",
            "weeks",
        )
    return starts_on, stored, support


def save_plan(placement: Placement, details: PlanDetails, *, by: User, today: date | None = None) -> ReintegrationPlan:
    """Write or change the placement's reintegration plan (commits). Raises RuleBroken (RulesBroken: every problem
    at once) naming the field."""
    today = today or local_now().date()
    plans.lock_pupil(placement.pupil)
    existing = plan_of(placement.id)
    review: PlacementReview | None
    if existing is None:
        review = review_choosing_it(placement)
        if review is None:
            raise RuleBroken(
                "A reintegration plan is written when a review of a running placement chooses a phased return to "
                "school. Record the review first.",
                "starts_on",
            )
    else:
        review = db.session.get(PlacementReview, existing.review_id)
        if not can_change(existing, today):
            raise RuleBroken("The phased return has finished, so the plan can no longer be changed", "starts_on")
    starts_on, stored, support = _check(placement, details, existing, today)
    mondays = [starts_on + timedelta(weeks=i) for i in range(len(stored))]
    last_day = mondays[-1] + timedelta(days=4)
    occupied = {
        monday: frozenset(week["provider"]) | frozenset(week["school"])
        for monday, week in zip(mondays, stored, strict=True)
    }
    clash = plans.timetable_clash(
        placement.pupil,
        placement.start_date,
        last_day,
        placement.timetable or [],
        other_than=placement.id,
        weeks=occupied,
    )
    if clash:
        raise RuleBroken(clash, "weeks")

    if existing is None:
        assert review is not None, "checked above"
        plan = ReintegrationPlan(
            placement_id=placement.id,
            school_id=placement.school_id,
            provider_id=placement.provider_id,
            review_id=review.id,
            written_by_id=by.id,
        )
        db.session.add(plan)
    else:
        plan = existing
        plan.changed_by_id = by.id
        plan.changed_at = utcnow()
    plan.starts_on = starts_on
    plan.weeks = stored
    plan.school_support = support["school_support"] or ""
    plan.provider_support = support["provider_support"]
    plan.family_support = support["family_support"]
    plan.notes = support["notes"]
    placement.timetable_weeks = {
        monday.isoformat(): week["provider"] for monday, week in zip(mondays, stored, strict=True)
    }
    if existing is None:
        plans.mark_ended(placement, end_date=last_day, destination=REINTEGRATED, by=by)
    else:
        placement.end_date = last_day
    if review is not None and review.followed_up_at is None:
        review.end_date = last_day
        review.destination = REINTEGRATED
        review.follow_up_on = last_day + timedelta(weeks=FOLLOW_UP_WEEKS)
    db.session.flush()
    school = db.session.get(Organisation, placement.school_id)
    audit.record(
        "reintegration.planned" if existing is None else "reintegration.changed",
        organisation=school,
        obj=plan,
        actor=by,
        weeks=len(stored),
        starts_on=starts_on.isoformat(),
    )
    db.session.commit()
    return plan


def week_rows(plan: ReintegrationPlan) -> list[tuple[date, dict[str, str]]]:
    """Each week's Monday with its sessions' places, for the pages."""
    return list(zip(plan.week_starts(), as_choices(plan), strict=True))
