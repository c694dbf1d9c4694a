"""Placement reviews (every 6-8 weeks: the placement's own interval) and the AP lead's site visits.

- The first review is due `review_interval_weeks` after the placement starts; after that, on the date the last
  review set (its next_review_on). A review that ended the placement sets none.
- A review's attendance and incident figures come from the data (the marks and the incidents since the start or the
  last review), never typed in, so the record says what the school knew when it decided.
- "Cease" ends the placement then and there (plans.mark_ended, with its checks): status ended, its end date and the
  pupil's destination, and a follow-up of the destination FOLLOW_UP_WEEKS after the end, on the AP lead's list when
  due until the AP lead records what they found.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, Over, and_, func, or_, select

from shared import audit
from shared.clock import local_now, school_zone
from shared.display import day_words
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementReview,
    PlacementStatus,
    ProviderSite,
    SchoolProvider,
    SiteVisit,
    User,
    utcnow,
)
from shared.services.attendance.marks import attendance_percent
from shared.services.errors import RuleBroken
from shared.services.placements import incidents
from shared.services.placements.plans import END_DESTINATIONS, mark_ended
from shared.services.providers import standards
from shared.services.providers.standards import QualityRecord
from shared.services.school_calendar.days import is_bank_holiday, school_days
from shared.text import checked

# A review is flagged "Due" this many days before its date (the policy: reviews at least every 6-8 weeks).
DUE_SOON_DAYS = 7
# "At least every 6-8 weeks (half-termly)": whatever a placement's interval says, the next review is never set
# further away than this from the review that sets it.
HALF_TERMLY_WEEKS = 8
MAX_TEXT = 5000
# A placement that a review ends: the AP lead checks where the pupil went this long after the end date.
FOLLOW_UP_WEEKS = 6

# A phased return to school: the review is followed by a reintegration plan (shared.services.placements.reintegration)
# that ends the placement on its last week.
PHASED = "phased"
OUTCOMES: dict[str, str] = {
    "continue": "Continue the placement as it is",
    "adjust": "Adjust the placement",
    PHASED: "Start a phased return to school",
    "cease": "End the placement",
}

# Where the pupil goes when a placement ends (the census's leaving destination, in plain words).
DESTINATIONS = END_DESTINATIONS  # one list: shared.services.placements.plans


class ReviewState(enum.StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"


@dataclass
class ReviewDue:
    placement: Placement
    last_review: PlacementReview | None
    due_on: date
    state: ReviewState


class SetsNextReview(Protocol):
    """What next_review_due reads of the last review: a PlacementReview, or only its columns (the compliance
    figures load those alone)."""

    @property
    def next_review_on(self) -> date | None: ...


def next_review_due(placement: Placement, last_review: SetsNextReview | None) -> date | None:
    """When the placement's next review is due: the date the last review set, or one interval after the start for
    the first. None when the last review ended the placement."""
    if last_review is not None:
        return last_review.next_review_on
    return placement.start_date + timedelta(weeks=placement.review_interval_weeks)


def state_of(due_on: date, today: date) -> ReviewState:
    if due_on < today:
        return ReviewState.OVERDUE
    if due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return ReviewState.DUE
    return ReviewState.SCHEDULED


def last_review_of(placement_id: uuid.UUID) -> PlacementReview | None:
    return db.session.scalar(
        select(PlacementReview)
        .where(PlacementReview.placement_id == placement_id)
        .order_by(PlacementReview.held_on.desc(), PlacementReview.recorded_at.desc())
        .limit(1)
    )


def latest_first() -> Over[int]:
    """Each review's rank among its placement's reviews: 1 for the latest (held last; on the same day, recorded
    last)."""
    return func.row_number().over(
        partition_by=PlacementReview.placement_id,
        order_by=(PlacementReview.held_on.desc(), PlacementReview.recorded_at.desc()),
    )


def latest_reviews(placement_ids: list[uuid.UUID]) -> dict[uuid.UUID, PlacementReview]:
    """Each placement's most recent review, in one query."""
    if not placement_ids:
        return {}
    # Only the latest of each is loaded (ranked in SQL), not every review of every placement: a school's list reads
    # this for all its running placements, each with several reviews behind it.
    ranked = (
        select(PlacementReview.id, latest_first().label("rank"))
        .where(PlacementReview.placement_id.in_(placement_ids))
        .subquery()
    )
    return {
        review.placement_id: review
        for review in db.session.scalars(
            select(PlacementReview).join(ranked, ranked.c.id == PlacementReview.id).where(ranked.c.rank == 1)
        )
    }


def with_latest_reviews(*where: ColumnElement[bool]) -> list[tuple[Placement, PlacementReview | None]]:
    """The placements matching `where`, each with its most recent review (as latest_reviews ranks them; None before
    the first), in one query: the placements and their reviews in one round trip rather than one each."""
    ranked = (
        select(PlacementReview.id, PlacementReview.placement_id, latest_first().label("rank"))
        .join(Placement, Placement.id == PlacementReview.placement_id)
        .where(*where)
        .subquery()
    )
    rows = db.session.execute(
        select(Placement, PlacementReview)
        .outerjoin(ranked, and_(ranked.c.placement_id == Placement.id, ranked.c.rank == 1))
        .outerjoin(PlacementReview, PlacementReview.id == ranked.c.id)
        .where(*where)
    ).tuples()
    return [(placement, review) for placement, review in rows]


def next_reviews_due(placements: list[Placement]) -> dict[uuid.UUID, date | None]:
    """next_review_due for each planned or running placement (None for the others), in one query."""
    latest = latest_reviews([p.id for p in placements])
    return {
        p.id: next_review_due(p, latest.get(p.id))
        if p.status in (PlacementStatus.ACTIVE, PlacementStatus.PLANNED)
        else None
        for p in placements
    }


def due_reviews(school_id: uuid.UUID, today: date) -> list[ReviewDue]:
    """Every running placement of the school with its next review date and whether it is due or overdue, soonest
    first."""
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE)
        )
    )
    latest = latest_reviews([p.id for p in placements])
    out = []
    for placement in placements:
        last = latest.get(placement.id)
        due_on = next_review_due(placement, last)
        if due_on is not None:
            out.append(ReviewDue(placement, last, due_on, state_of(due_on, today)))
    return sorted(out, key=lambda r: (r.due_on, r.placement.pupil.last_name))


# --- figures from the data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    start: date
    end: date
    attendance_percent: float | None
    incident_count: int


def period_start(placement: Placement, last_review: PlacementReview | None) -> date:
    """The figures cover the time since the last review (from the day after it) or since the placement started."""
    return last_review.held_on + timedelta(days=1) if last_review else placement.start_date


def figures(placement: Placement, last_review: PlacementReview | None, end: date) -> PeriodFigures:
    start = period_start(placement, last_review)
    kinds = db.session.scalars(
        select(AttendanceMark.kind).where(
            AttendanceMark.placement_id == placement.id, AttendanceMark.day >= start, AttendanceMark.day <= end
        )
    )
    zone = school_zone()
    count = incidents.count_for_placement(
        placement.id,
        datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC),
    )
    return PeriodFigures(start, end, attendance_percent(kinds), count)


# --- recording a review ------------------------------------------------------------------------------------------


@dataclass
class ReviewRecord:
    held_on: date | None
    school_attendees: str | None
    provider_attendees: str | None
    parents_attendees: str | None
    pupil_attendee: str | None
    attendance_notes: str | None
    behaviour: str | None
    academic_progress: str | None
    wellbeing: str | None
    pupil_voice: str | None
    outcome: str | None
    changes: str | None
    end_date: date | None
    destination: str | None
    next_review_on: date | None


def latest_next_review(placement: Placement, held_on: date) -> date:
    """The latest date a review held on `held_on` may set for the next one: the placement's interval, and never more
    than half-termly (HALF_TERMLY_WEEKS)."""
    return held_on + timedelta(weeks=min(placement.review_interval_weeks, HALF_TERMLY_WEEKS))


def suggested_next_review(placement: Placement, held_on: date) -> date:
    """The date the review form suggests for the next review: the last school day of the school's calendar on or
    before latest_next_review (not a weekend, a bank holiday, a holiday or an INSET day); with no school day in
    that span (no terms entered), the last weekday before it that is not a bank holiday."""
    latest = latest_next_review(placement, held_on)
    days = list(school_days(placement.school_id, held_on + timedelta(days=1), latest))
    if days:
        return days[-1]
    while latest.weekday() >= 5 or is_bank_holiday(latest):
        latest -= timedelta(days=1)
    return latest


def _text(value: str | None, field_name: str, message: str | None = None, limit: int = MAX_TEXT) -> str | None:
    return checked(value, field_name, required=message, limit=limit)


def record_review(
    placement: Placement, details: ReviewRecord, *, by: User, today: date | None = None
) -> PlacementReview:
    """Record a held review (commits). Raises RuleBroken with the field it is about."""
    today = today or local_now().date()
    if placement.status != PlacementStatus.ACTIVE:
        raise RuleBroken("Reviews are recorded for running placements only, and this one is not running", "held_on")
    last = last_review_of(placement.id)
    held_on = details.held_on
    if held_on is None:
        raise RuleBroken("Enter the date the review was held", "held_on")
    if held_on > today:
        raise RuleBroken("The review date must be today or in the past", "held_on")
    if held_on < placement.start_date:
        raise RuleBroken("The review date must be on or after the day the placement started", "held_on")
    if last is not None and held_on < last.held_on:
        raise RuleBroken(
            f"The review date must be on or after the last review, held on {last.held_on.strftime('%-d %B %Y')}",
            "held_on",
        )
    attendees = {
        "school": _text(details.school_attendees, "school_attendees", "Enter who attended from the school", 500),
        "provider": _text(details.provider_attendees, "provider_attendees", limit=500),
        "parents": _text(details.parents_attendees, "parents_attendees", limit=500),
        "pupil": _text(details.pupil_attendee, "pupil_attendee", limit=500),
    }
    attendance_notes = _text(details.attendance_notes, "attendance_notes", "Write the notes on attendance")
    behaviour = _text(details.behaviour, "behaviour", "Write the notes on behaviour")
    progress = _text(details.academic_progress, "academic_progress", "Write the notes on academic progress")
    wellbeing = _text(details.wellbeing, "wellbeing", "Write the notes on wellbeing")
    pupil_voice = _text(details.pupil_voice, "pupil_voice")

    if details.outcome not in OUTCOMES:
        raise RuleBroken(
            "Choose the outcome of the review: continue, adjust, a phased return to school or end the placement",
            "outcome",
        )
    changes = end_date = destination = next_review_on = None
    if details.outcome == "adjust":
        changes = _text(details.changes, "changes", "Say what changes in the placement")
    if details.outcome == "cease":
        end_date = details.end_date
        if end_date is None:
            raise RuleBroken("Enter the date the placement ends", "end_date")
        if end_date < placement.start_date:
            raise RuleBroken("The end date must be on or after the day the placement started", "end_date")
        if details.destination not in DESTINATIONS:
            raise RuleBroken("Choose where the pupil goes when the placement ends", "destination")
        destination = details.destination
    elif details.outcome != PHASED:  # a phased return's plan sets its end, and its follow-up replaces the review
        next_review_on = details.next_review_on
        if next_review_on is None:
            raise RuleBroken("Enter the date of the next review", "next_review_on")
        if next_review_on <= held_on:
            raise RuleBroken("The next review must be after the date this review was held", "next_review_on")
        latest = latest_next_review(placement, held_on)
        if next_review_on > latest:
            raise RuleBroken(
                f"The next review must be on or before {day_words(latest)}: this placement is reviewed every "
                f"{placement.review_interval_weeks} weeks, and reviews are at least half-termly",
                "next_review_on",
            )

    numbers = figures(placement, last, held_on)
    review = PlacementReview(
        placement_id=placement.id,
        school_id=placement.school_id,
        due_on=next_review_due(placement, last) or held_on,
        held_on=held_on,
        attendees=attendees,
        attendance_percent=numbers.attendance_percent,
        incident_count=numbers.incident_count,
        attendance_notes=attendance_notes,
        behaviour=behaviour,
        academic_progress=progress,
        wellbeing=wellbeing,
        pupil_voice=pupil_voice,
        outcome=details.outcome,
        changes=changes,
        end_date=end_date,
        destination=destination,
        next_review_on=next_review_on,
        follow_up_on=end_date + timedelta(weeks=FOLLOW_UP_WEEKS) if end_date else None,
        recorded_by_id=by.id,
    )
    db.session.add(review)
    db.session.flush()
    school = db.session.get(Organisation, placement.school_id)
    audit.record("review.recorded", organisation=school, obj=review, actor=by, outcome=details.outcome)
    if details.outcome == "cease":
        mark_ended(placement, end_date=end_date, destination=destination, by=by)
    db.session.commit()
    return review


# --- following up a destination ------------------------------------------------------------------------------------


def follow_ups_due(school_id: uuid.UUID, today: date) -> list[PlacementReview]:
    """Reviews that ended a placement whose destination follow-up is due (on or before today) and not yet recorded,
    the oldest first."""
    return list(
        db.session.scalars(
            select(PlacementReview)
            .where(
                PlacementReview.school_id == school_id,
                PlacementReview.follow_up_on.is_not(None),
                PlacementReview.follow_up_on <= today,
                PlacementReview.followed_up_at.is_(None),
            )
            .order_by(PlacementReview.follow_up_on, PlacementReview.recorded_at)
        )
    )


def record_follow_up(review: PlacementReview, notes: str | None, *, by: User) -> None:
    """Record what the AP lead found when following up the pupil's destination (commits)."""
    if review.follow_up_on is None:
        raise RuleBroken("This review did not end the placement, so there is no destination to follow up", "notes")
    if review.followed_up_at is not None:
        raise RuleBroken("The destination has already been followed up", "notes")
    review.follow_up_notes = _text(notes, "notes", "Write what you found: where the pupil is now and how it is going")
    review.followed_up_at = utcnow()
    review.followed_up_by_id = by.id
    school = db.session.get(Organisation, review.school_id)
    audit.record("review.followed_up", organisation=school, obj=review, actor=by)
    db.session.commit()


# --- site visits ---------------------------------------------------------------------------------------------------


@dataclass
class VisitRecord:
    visited_on: date | None
    site_id: str | None
    placement_ids: list[str]
    findings: str | None
    actions: str | None
    # Share with the other schools using the provider and the local authority (a local authority's always are).
    shared: bool = False
    # A judgement per national standard, strengths and actions with dates (issue 15); None for none.
    quality: QualityRecord | None = None


def placements_at(school_id: uuid.UUID, provider_id: uuid.UUID) -> list[Placement]:
    """The school's running placements at a provider: the pupils a visitor may see there."""
    return list(
        db.session.scalars(
            select(Placement).where(
                Placement.school_id == school_id,
                Placement.provider_id == provider_id,
                Placement.status == PlacementStatus.ACTIVE,
            )
        )
    )


def record_visit(
    school: Organisation, provider_id: uuid.UUID, details: VisitRecord, *, by: User, today: date | None = None
) -> SiteVisit:
    """Record a visit to one of the provider's sites (commits): a school AP lead's, or a local authority officer's
    (`school` is then the local authority: it sees no pupils, and its visits are shared with its schools)."""
    today = today or local_now().date()
    if details.visited_on is None:
        raise RuleBroken("Enter the date of the visit", "visited_on")
    if details.visited_on > today:
        raise RuleBroken("The date of the visit must be today or in the past", "visited_on")
    sites = {
        str(s.id): s
        for s in db.session.scalars(select(ProviderSite).where(ProviderSite.organisation_id == provider_id))
    }
    site = None
    if sites:
        site = sites.get(details.site_id or "")
        if site is None:
            raise RuleBroken("Choose the site you visited", "site_id")
    allowed = {str(p.id) for p in placements_at(school.id, provider_id)}
    seen = list(dict.fromkeys(details.placement_ids or []))
    if any(pid not in allowed for pid in seen):
        raise RuleBroken("Select only pupils placed with this provider", "placement_ids")
    findings = _text(details.findings, "findings", "Write what you found")
    actions = _text(details.actions, "actions")
    quality_assurance = standards.quality_assurance(details.quality)
    visit = SiteVisit(
        school_id=school.id,
        provider_id=provider_id,
        site_id=site.id if site else None,
        visited_on=details.visited_on,
        pupils_seen=seen,
        findings=findings,
        actions=actions,
        recorded_by_id=by.id,
        shared=details.shared or school.is_local_authority,
        quality_assurance=quality_assurance,
    )
    db.session.add(visit)
    db.session.flush()
    audit.record(
        "visit.recorded",
        organisation=school,
        obj=visit,
        actor=by,
        shared=visit.shared,
        standards_judged=len(quality_assurance["judgements"]) if quality_assurance else 0,
    )
    db.session.commit()
    return visit


# --- reading reviews and visits --------------------------------------------------------------------------------------


def placement_reviewed(review: PlacementReview) -> Placement:
    """The review's placement (from the session when already loaded)."""
    placement = db.session.get(Placement, review.placement_id)
    assert placement is not None, "a foreign key"
    return placement


def visits_of_school(school_id: uuid.UUID) -> list[SiteVisit]:
    """The school's site visits, the latest first."""
    return list(
        db.session.scalars(
            select(SiteVisit)
            .where(SiteVisit.school_id == school_id)
            .order_by(SiteVisit.visited_on.desc(), SiteVisit.recorded_at.desc())
        )
    )


def visits_shared_with_school(school: Organisation, provider_id: uuid.UUID) -> list[SiteVisit]:
    """Visits to the provider that others shared with this school, the latest first: those the other schools using
    the provider chose to share, and those of the school's local authority. Never the school's own."""
    using = select(SchoolProvider.school_id).where(SchoolProvider.provider_id == provider_id)
    shared_by = [and_(SiteVisit.shared.is_(True), SiteVisit.school_id.in_(using))]
    if school.local_authority_id is not None:
        shared_by.append(SiteVisit.school_id == school.local_authority_id)
    return list(
        db.session.scalars(
            select(SiteVisit)
            .where(SiteVisit.provider_id == provider_id, SiteVisit.school_id != school.id, or_(*shared_by))
            .order_by(SiteVisit.visited_on.desc(), SiteVisit.recorded_at.desc())
        )
    )


def visits_seen_by_local_authority(la_id: uuid.UUID, provider_id: uuid.UUID) -> list[SiteVisit]:
    """Visits to the provider the local authority sees, the latest first: its own, and those its schools shared."""
    its_schools = select(Organisation.id).where(
        Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id
    )
    return list(
        db.session.scalars(
            select(SiteVisit)
            .where(
                SiteVisit.provider_id == provider_id,
                or_(
                    SiteVisit.school_id == la_id, and_(SiteVisit.shared.is_(True), SiteVisit.school_id.in_(its_schools))
                ),
            )
            .order_by(SiteVisit.visited_on.desc(), SiteVisit.recorded_at.desc())
        )
    )


def site_names(site_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Teaching sites' names by id, in one query (none for no ids)."""
    site_ids = set(site_ids)
    if not site_ids:
        return {}
    return dict(
        db.session.execute(select(ProviderSite.id, ProviderSite.name).where(ProviderSite.id.in_(site_ids)))
        .tuples()
        .all()
    )


def sites_of_provider(provider_id: uuid.UUID) -> list[ProviderSite]:
    """The provider's teaching sites by name: where a visit can be."""
    return list(
        db.session.scalars(
            select(ProviderSite).where(ProviderSite.organisation_id == provider_id).order_by(ProviderSite.name)
        )
    )


def site_visited(visit: SiteVisit) -> ProviderSite | None:
    return db.session.get(ProviderSite, visit.site_id) if visit.site_id else None


def placements_seen(visit: SiteVisit) -> list[Placement]:
    """The placements of the pupils seen on the visit (its school's only; ids that are not ids are left out)."""
    seen_ids = []
    for value in visit.pupils_seen or []:
        try:
            seen_ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not seen_ids:
        return []
    return list(
        db.session.scalars(select(Placement).where(Placement.id.in_(seen_ids), Placement.school_id == visit.school_id))
    )
