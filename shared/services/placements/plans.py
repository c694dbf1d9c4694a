"""Placements: the policy's written plan, the headteacher's decision, the need-to-know summary for the provider,
the risk assessment, ending a placement, and the warning when a provider nears the line where it must register as
an independent school.

Only a provider the school has approved can take a placement, whatever a form sends. A provider sees a placement
only once the headteacher has agreed it (`visible_to_provider`), and then only the pupil's name, year group, date
of birth and the summary written for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from shared import audit
from shared.attendance_codes import LegalBasis
from shared.crypto import file_purpose, keyring
from shared.evidence_catalogue import ProviderType
from shared.extensions import begin_transaction_now, db
from shared.links import Link
from shared.models import (
    AttendanceMark,
    HeadteacherDecision,
    Organisation,
    Placement,
    PlacementDocument,
    PlacementStatus,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    Pupil,
    ReintegrationPlan,
    SchoolProvider,
    SendStatus,
    User,
    utcnow,
)
from shared.models.pupil import TIMETABLE_SLOTS, WEEKDAYS
from shared.notifications import tell_role
from shared.roles import HEADTEACHER
from shared.services.errors import Problems, RuleBroken
from shared.services.local_authority.notified import tell_local_authority
from shared.services.placements import risk
from shared.services.providers.approval import is_approved
from shared.text import checked
from shared.uploads.pipeline import StoredUpload, store_upload

LEGAL_BASIS_LABELS = {
    LegalBasis.SCHOOL_ARRANGED.value: "Arranged by the school (code B in the register)",
    LegalBasis.LA_ARRANGED.value: "Arranged by the local authority (code K in the register)",
    LegalBasis.DUAL_REGISTRATION.value: "Dual registration, for example at a PRU (code D in the register)",
}
PRIMARY_REASONS = {
    "risk_of_exclusion": "At risk of permanent exclusion",
    "suspended": "Suspended",
    "permanently_excluded": "Permanently excluded",
    "semh": "Social, emotional and mental health needs",
    "medical": "Medical needs (including mental health) that stop the pupil attending school",
    "awaiting_place": "Awaiting an EHC plan or a specialist place",
    "other": "Other",
}
COST_PERIODS = {"session": "per session", "week": "per week", "placement": "for the whole placement"}
# Where a pupil goes when a placement ends (the AP lead ending it, or a review's "cease"); the governors' report
# groups them as reintegrated, continued and other.
END_DESTINATIONS = {
    "reintegrated": "Back at school full time (reintegrated)",
    "continued_new_arrangement": "Staying at the provider under a new arrangement",
    "another_provider": "Another alternative provision",
    "special_school": "A special school",
    "another_school": "Another mainstream school (moved school)",
    "further_education": "College, employment or training",
    "elective_home_education": "Elective home education",
    "other": "Other",
    "not_known": "Not known",
}
SLOT_LABELS = {
    f"{day}_{session}": f"{name} {session.upper()}"
    for day, name in (
        ("mon", "Monday"),
        ("tue", "Tuesday"),
        ("wed", "Wednesday"),
        ("thu", "Thursday"),
        ("fri", "Friday"),
    )
    for session in ("am", "pm")
}
REVIEW_INTERVALS = (6, 7, 8)  # weeks; DfE alternative provision guidance: review at least every half term
MAX_HOURS_PER_WEEK = Decimal("50")

# The independent school registration line (Education and Skills Act 2008 s.92, with DfE's registration guidance):
# an institution giving full-time education -- in practice more than 18 hours a week -- to 5 or more pupils of
# compulsory school age, or to 1 such pupil with an EHC plan or who is looked after, must register as an independent
# school. Schools and PRUs are schools already; FE colleges are outside the definition (further education sector).
FULL_TIME_HOURS = Decimal("18")
REGISTRATION_PUPIL_COUNT = 5
NOT_NEEDING_REGISTRATION = frozenset(
    {ProviderType.REGISTERED_SCHOOL, ProviderType.PRU, ProviderType.INDEPENDENT_SCHOOL, ProviderType.FE_COLLEGE}
)


@dataclass
class PlacementPlan:
    provider_id: object
    site_ids: Sequence[str | uuid.UUID] = field(default_factory=list)  # str from the form; str() either way
    legal_basis: str = ""
    primary_reason: str = ""
    start_date: date | None = None
    max_end_date: date | None = None
    timetable: list[str] = field(default_factory=list)
    hours_per_week: Decimal | None = None
    cost_pence: int | None = None
    cost_period: str | None = None
    rationale: str = ""
    intended_outcomes: str = ""
    review_arrangements: str = ""
    reintegration_criteria: str = ""
    review_interval_weeks: int = 6
    consulted_sendco: bool = False
    consulted_dsl: bool = False
    consulted_parents: bool = False
    consulted_professionals: str | None = None
    parents_notified_on: date | None = None
    parents_notified_how: str | None = None
    la_informed_on: date | None = None


def approved_providers(school_id: uuid.UUID) -> list[Organisation]:
    """The providers this school has approved: the only ones a placement can go to."""
    return list(
        db.session.scalars(
            select(Organisation)
            .join(SchoolProvider, SchoolProvider.provider_id == Organisation.id)
            .where(SchoolProvider.school_id == school_id, SchoolProvider.status == ProviderStatus.APPROVED)
            .order_by(Organisation.name)
        )
    )


def provider_profile_of_school(school_id: uuid.UUID, provider_id: object) -> ProviderProfile | None:
    """The provider's profile, when the school works with it."""
    return db.session.scalar(
        select(ProviderProfile)
        .join(SchoolProvider, SchoolProvider.provider_id == ProviderProfile.organisation_id)
        .where(ProviderProfile.organisation_id == provider_id, SchoolProvider.school_id == school_id)
    )


def _approved_profile(school_id: uuid.UUID, provider_id: object) -> ProviderProfile:
    link = (
        db.session.scalar(
            select(SchoolProvider).where(
                SchoolProvider.provider_id == provider_id, SchoolProvider.school_id == school_id
            )
        )
        if provider_id
        else None
    )
    if link is None:
        raise RuleBroken("Choose one of the school's approved providers", "provider")
    if not is_approved(link):
        raise RuleBroken(
            f"{link.provider.name} is not approved, so a pupil cannot be placed there. "
            "Only providers the AP lead has approved can take placements.",
            "provider",
        )
    return link.profile


def _text(value: str | None, message: str, name: str) -> str:
    return checked(value, name, required=message)


def _check_plan(
    plan: PlacementPlan, profile: ProviderProfile | None, found: Problems | None = None
) -> list[ProviderSite]:
    """Every rule about the plan at once (RulesBroken lists them all). With `found`, the problems are added to it
    and not raised (the caller has more to check). profile None: the provider is not one the plan may name, which
    the caller has already said."""
    own = found is None
    found = found if found is not None else Problems()
    site_ids = {str(site_id) for site_id in plan.site_ids or []}
    sites: list[ProviderSite] = []
    if not site_ids:
        found.add("Choose the site or sites where the pupil will be taught", "sites")
    elif profile is not None:
        sites = [site for site in profile.sites if str(site.id) in site_ids]
        if len(sites) != len(site_ids):
            found.add(f"Choose sites of {profile.organisation.name} only", "sites")
    if plan.legal_basis not in LEGAL_BASIS_LABELS:
        found.add("Choose the legal basis of the placement", "legal_basis")
    if plan.primary_reason not in PRIMARY_REASONS:
        found.add("Choose the main reason for the placement", "primary_reason")
    if plan.start_date is None:
        found.add("Enter the start date", "start_date")
    if plan.max_end_date is None:
        found.add("Enter the latest date the placement can run to", "max_end_date")
    elif plan.start_date is not None and plan.max_end_date <= plan.start_date:
        found.add("The maximum end date must be after the start date", "max_end_date")
    if not plan.timetable:
        found.add("Choose the sessions the pupil will be at the provider each week", "timetable")
    elif any(slot not in TIMETABLE_SLOTS for slot in plan.timetable):
        found.add("Choose sessions from Monday to Friday, morning or afternoon", "timetable")
    if plan.hours_per_week is None:
        found.add("Enter the hours a week", "hours_per_week")
    elif not (Decimal(0) < plan.hours_per_week <= MAX_HOURS_PER_WEEK):
        found.add(f"Hours a week must be more than 0 and no more than {MAX_HOURS_PER_WEEK}", "hours_per_week")
    if plan.cost_pence is not None and plan.cost_pence < 0:
        found.add("The cost cannot be less than £0", "cost")
    if plan.cost_pence is not None and plan.cost_period not in COST_PERIODS:
        found.add("Say whether the cost is per session, per week or for the whole placement", "cost_period")
    found.attempt(lambda: _text(plan.rationale, "Write why this placement is right for the pupil", "rationale"))
    found.attempt(
        lambda: _text(
            plan.intended_outcomes, "Write the outcomes the placement is meant to achieve", "intended_outcomes"
        )
    )
    found.attempt(
        lambda: _text(plan.review_arrangements, "Write how the placement will be reviewed", "review_arrangements")
    )
    found.attempt(
        lambda: _text(
            plan.reintegration_criteria,
            "Write what needs to happen for the pupil to come back",
            "reintegration_criteria",
        )
    )
    if plan.review_interval_weeks not in REVIEW_INTERVALS:
        found.add("Reviews are every 6, 7 or 8 weeks", "review_interval_weeks")
    if plan.parents_notified_on is not None and not (plan.parents_notified_how or "").strip():
        found.add("Say how the parents or carers were told", "parents_notified_how")
    if own:
        found.raise_any()
    return sites


def check_plan(school_id: uuid.UUID, plan: PlacementPlan) -> tuple[ProviderProfile, list[ProviderSite]]:
    """The provider and every rule of the plan at once (RulesBroken lists them all): its provider and sites."""
    found = Problems()
    profile = found.attempt(lambda: _approved_profile(school_id, plan.provider_id))
    sites = _check_plan(plan, profile, found)
    found.raise_any()
    assert profile is not None
    return profile, sites


def _write_plan(placement: Placement, plan: PlacementPlan, sites: list[ProviderSite]) -> None:
    """Put a checked plan on the placement: the same for a new plan and a changed one."""
    assert plan.start_date is not None, "_check_plan asks for the start date"
    placement.legal_basis = plan.legal_basis
    placement.primary_reason = plan.primary_reason
    placement.start_date = plan.start_date
    placement.max_end_date = plan.max_end_date
    placement.timetable = [slot for slot in TIMETABLE_SLOTS if slot in plan.timetable]
    placement.hours_per_week = plan.hours_per_week
    placement.cost_pence = plan.cost_pence
    placement.cost_period = plan.cost_period if plan.cost_pence is not None else None
    placement.rationale = plan.rationale.strip()
    placement.intended_outcomes = plan.intended_outcomes.strip()
    placement.review_arrangements = plan.review_arrangements.strip()
    placement.reintegration_criteria = plan.reintegration_criteria.strip()
    placement.review_interval_weeks = plan.review_interval_weeks
    placement.consulted_sendco = plan.consulted_sendco
    placement.consulted_dsl = plan.consulted_dsl
    placement.consulted_parents = plan.consulted_parents
    placement.consulted_professionals = (plan.consulted_professionals or "").strip() or None
    placement.parents_notified_on = plan.parents_notified_on
    placement.parents_notified_how = (plan.parents_notified_how or "").strip() or None
    placement.la_informed_on = plan.la_informed_on
    placement.sites = sites


# --- one place per session -----------------------------------------------------------------------------------------


def _last_day(placement: Placement) -> date | None:
    """The last day a placement can expect the pupil: the day it ends, else the latest it may run to (None: open)."""
    return placement.end_date or placement.max_end_date


def _slot_words(slots: Sequence[str]) -> str:
    words = [SLOT_LABELS[slot] for slot in TIMETABLE_SLOTS if slot in slots]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class Occupancy:
    """Where a placement has the pupil, session by session: from `start` to `last` (None: open-ended), the
    `timetable`'s sessions every week, except the weeks in `weeks` (a phased return, keyed by Monday): there, the
    provider's sessions and, in `school_weeks`, the sessions the pupil is back at school."""

    start: date
    last: date | None
    timetable: frozenset[str]
    weeks: Mapping[date, frozenset[str]] = field(default_factory=dict)
    school_weeks: Mapping[date, frozenset[str]] = field(default_factory=dict)

    def in_week(self, monday: date) -> frozenset[str]:
        if monday in self.weeks:
            return self.weeks[monday] | self.school_weeks.get(monday, frozenset())
        return self.timetable


def occupancy_of(placement: Placement, plan: ReintegrationPlan | None = None) -> Occupancy:
    weeks = {date.fromisoformat(day): frozenset(slots) for day, slots in (placement.timetable_weeks or {}).items()}
    school_weeks = (
        {monday: frozenset(week.get("school", [])) for monday, week in zip(plan.week_starts(), plan.weeks, strict=True)}
        if plan is not None
        else {}
    )
    return Occupancy(
        placement.start_date, _last_day(placement), frozenset(placement.timetable or []), weeks, school_weeks
    )


def _slot_day(monday: date, slot: str) -> date:
    return monday + timedelta(days=WEEKDAYS.index(slot[:3]))


def _weeks_between(first: date, last: date) -> Iterator[date]:
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        yield monday
        monday += timedelta(weeks=1)


def shared_sessions(mine: Occupancy, other: Occupancy) -> tuple[date | None, list[str]] | None:
    """The first sessions both have the pupil at, with the Monday of the week of a phased return it falls in (None:
    every week of their timetables); None when they never share one. Timetables are compared whole over dates that
    overlap; a phased return's weeks session by session, on the days both run."""
    lo = max(mine.start, other.start)
    ends = [end for end in (mine.last, other.last) if end is not None]
    hi = min(ends) if ends else None
    if hi is not None and hi < lo:
        return None
    phased = sorted(
        monday
        for monday in {*mine.weeks, *other.weeks}
        if monday + timedelta(days=4) >= lo and (hi is None or monday <= hi)
    )
    for monday in phased:
        both = mine.in_week(monday) & other.in_week(monday)
        shared = [
            slot
            for slot in TIMETABLE_SLOTS
            if slot in both and lo <= _slot_day(monday, slot) and (hi is None or _slot_day(monday, slot) <= hi)
        ]
        if shared:
            return monday, shared
    other_weeks = hi is None or any(monday not in phased for monday in _weeks_between(lo, hi))
    if other_weeks:
        shared = [slot for slot in TIMETABLE_SLOTS if slot in mine.timetable and slot in other.timetable]
        if shared:
            return None, shared
    return None


def timetable_clash(
    pupil: Pupil,
    start: date,
    last: date | None,
    timetable: Sequence[str],
    *,
    other_than: uuid.UUID | None = None,
    weeks: Mapping[date, frozenset[str]] | None = None,
) -> str | None:
    """Why the pupil cannot be planned for these sessions from `start` to `last` (None: open-ended), with `weeks`
    (a phased return: the sessions at the provider or at school in each of its weeks, keyed by Monday) in place of
    the timetable for those weeks: another placement of theirs (planned and not declined, running, or ended after
    `start`) has one of the same sessions in the same weeks, or its own phased return has the pupil back at school
    then. A session is planned at one place only, or the school's day page would expect the pupil at two and one
    provider would mark an absence that alerts the social worker. None when the sessions are split."""
    query = _current(select(Placement).where(Placement.pupil_id == pupil.id))
    ended = select(Placement).where(
        Placement.pupil_id == pupil.id, Placement.status == PlacementStatus.ENDED, Placement.end_date >= start
    )
    others = [other for other in [*db.session.scalars(query), *db.session.scalars(ended)] if other.id != other_than]
    if not others:
        return None
    plans = {
        plan.placement_id: plan
        for plan in db.session.scalars(
            select(ReintegrationPlan).where(ReintegrationPlan.placement_id.in_([o.id for o in others]))
        )
    }
    mine = Occupancy(start, last, frozenset(timetable), dict(weeks or {}))
    for other in others:
        found = shared_sessions(mine, occupancy_of(other, plans.get(other.id)))
        if found is None:
            continue
        monday, shared = found
        other_last = _last_day(other)
        place = f"at {other.provider.name}"
        if monday is not None:
            at_school = [slot for slot in shared if slot not in other.timetable_of_week(monday)]
            week = f"in the week beginning {monday.strftime('%-d %B %Y')}"
            if at_school:
                return (
                    f"{pupil.known_as} is due back at school for {_slot_words(at_school)} {week}, in the phased "
                    f"return from {other.provider.name}. A session can be planned at one place only: choose other "
                    f"sessions, or change that reintegration plan first."
                )
            state = "placed" if other.status != PlacementStatus.PLANNED else "planned"
            return (
                f"{pupil.known_as} is already {state} {place} for {_slot_words(shared)} {week}. A session can be "
                f"planned at one place only: choose other sessions, or change or end the placement at "
                f"{other.provider.name} first."
            )
        state = "placed" if other.status == PlacementStatus.ACTIVE else "planned"
        if other.status == PlacementStatus.ENDED:
            state = "placed"
        until = f" to {other_last.strftime('%-d %B %Y')}" if other_last is not None else ""
        return (
            f"{pupil.known_as} is already {state} {place} for {_slot_words(shared)} from "
            f"{other.start_date.strftime('%-d %B %Y')}{until}. A session can be planned at one place only: choose "
            f"other sessions, or change or end the placement at {other.provider.name} first."
        )
    return None


def lock_pupil(pupil: Pupil) -> None:
    """One pupil's plans are checked for clashes one at a time, until the plan checked is saved: the pupil's row is
    locked (PostgreSQL); SQLite's writers are one at a time already (begin_transaction_now). Two plans sent at the
    same moment for the same sessions at two providers cannot both pass."""
    begin_transaction_now()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Pupil.id).where(Pupil.id == pupil.id).with_for_update())


def _refuse_clash(pupil: Pupil, plan: PlacementPlan, *, other_than: uuid.UUID | None = None) -> None:
    assert plan.start_date is not None, "_check_plan asks for the start date"
    lock_pupil(pupil)
    clash = timetable_clash(pupil, plan.start_date, plan.max_end_date, plan.timetable, other_than=other_than)
    if clash:
        raise RuleBroken(clash, "timetable")


def create_placement(school: Organisation, pupil: Pupil, plan: PlacementPlan, *, by: User | None) -> Placement:
    """Record the written plan as a planned placement awaiting the headteacher's decision (who is told)."""
    if pupil.school_id != school.id:
        raise RuleBroken("This pupil is not on the school's records")
    profile, sites = check_plan(school.id, plan)
    _refuse_clash(pupil, plan)
    placement = Placement(
        school_id=school.id,
        provider_id=profile.organisation_id,
        pupil_id=pupil.id,
        status=PlacementStatus.PLANNED,
        headteacher_decision=HeadteacherDecision.PENDING,
        created_by_id=by.id if by is not None else None,
    )
    _write_plan(placement, plan, sites)
    db.session.add(placement)
    db.session.flush()
    audit.record("placement.created", organisation=school, obj=placement, actor=by, legal_basis=plan.legal_basis)
    tell_role(
        school,
        HEADTEACHER,
        text="A placement plan is waiting for your decision.",
        link=Link.to("school_admin.placement_decision", placement_id=placement.id),
        subject="AP Portal: a placement is waiting for your decision",
    )
    db.session.commit()
    return placement


# --- changing the plan --------------------------------------------------------------------------------------------

# The parts of the plan the headteacher's agreement rests on: what the provider is paid for and how much of the
# pupil's week it takes, on what legal footing, and for how long. Changing any of them on an agreed plan sends it
# back to the headteacher (see update_placement); wording, reviews, sites and consultation records do not.
MATERIAL_FIELDS = frozenset({"hours_per_week", "timetable", "legal_basis", "max_end_date", "cost_pence", "cost_period"})


def why_plan_cannot_change(placement: Placement) -> str | None:
    """Why the plan of this placement cannot be changed any more, in words for the page; None when it can."""
    if placement.status == PlacementStatus.ENDED:
        return (
            "This placement has ended, so its plan can no longer be changed: it stays as the record of what was "
            "agreed. To place the pupil again, plan a new placement."
        )
    if placement.status == PlacementStatus.CANCELLED:
        return (
            "This placement was cancelled, so its plan can no longer be changed. To place the pupil, "
            "plan a new placement."
        )
    return None


PLAN_FIELDS = (
    "legal_basis",
    "primary_reason",
    "start_date",
    "max_end_date",
    "timetable",
    "hours_per_week",
    "cost_pence",
    "cost_period",
    "rationale",
    "intended_outcomes",
    "review_arrangements",
    "reintegration_criteria",
    "review_interval_weeks",
    "consulted_sendco",
    "consulted_dsl",
    "consulted_parents",
    "consulted_professionals",
    "parents_notified_on",
    "parents_notified_how",
    "la_informed_on",
)


def _plan_values(placement: Placement) -> dict[str, Any]:  # each field's stored value, whatever its type
    """The plan as stored, field by field, to see what a change changed."""
    values = {name: getattr(placement, name) for name in PLAN_FIELDS}
    values["timetable"] = list(placement.timetable or [])
    values["sites"] = sorted(str(site.id) for site in placement.sites)
    return values


def _first_mark_before(placement: Placement, day: date) -> AttendanceMark | None:
    return db.session.scalar(
        select(AttendanceMark)
        .where(AttendanceMark.placement_id == placement.id, AttendanceMark.day < day)
        .order_by(AttendanceMark.day)
        .limit(1)
    )


def update_placement(placement: Placement, plan: PlacementPlan, *, by: User) -> list[str]:
    """Change the written plan of a planned or running placement, with the same checks as a new plan; returns the
    names of the fields that changed (audited, never their values).

    The provider cannot change: a different provider is a new placement. The start date cannot move past a day the
    provider has already recorded attendance for. A material change (MATERIAL_FIELDS) to a plan the headteacher had
    agreed goes back to the headteacher: the decision returns to "waiting" and they are told, but a running placement
    stays running, so the provider keeps seeing the pupil and attendance carries on under the new timetable."""
    reason = why_plan_cannot_change(placement)
    if reason:
        raise RuleBroken(reason)
    if str(plan.provider_id) != str(placement.provider_id):
        raise RuleBroken(
            "The provider of a placement cannot be changed. To move the pupil to a different provider, end this "
            "placement and plan a new one.",
            "provider",
        )
    _profile, sites = check_plan(placement.school_id, plan)
    _refuse_clash(placement.pupil, plan, other_than=placement.id)
    assert plan.start_date is not None, "_check_plan asks for the start date"
    if plan.start_date > placement.start_date:
        marked = _first_mark_before(placement, plan.start_date)
        if marked is not None:
            raise RuleBroken(
                f"Attendance has already been recorded for {marked.day.strftime('%A %-d %B %Y')}, so the start date "
                "cannot be later than that",
                "start_date",
            )
    before = _plan_values(placement)
    _write_plan(placement, plan, sites)
    after = _plan_values(placement)
    changed = sorted(name for name in after if after[name] != before[name])
    if not changed:
        return []
    back_to_headteacher = placement.headteacher_decision == HeadteacherDecision.AGREED and bool(
        MATERIAL_FIELDS.intersection(changed)
    )
    audit.record("placement.updated", organisation=placement.school, obj=placement, actor=by, fields=changed)
    if back_to_headteacher:
        placement.headteacher_decision = HeadteacherDecision.PENDING
        tell_role(
            placement.school,
            HEADTEACHER,
            text="A placement plan you agreed has been changed and is waiting for your decision again.",
            link=Link.to("school_admin.placement_decision", placement_id=placement.id),
            subject="AP Portal: a changed placement plan is waiting for your decision",
        )
    db.session.commit()
    return changed


def decide(
    placement: Placement,
    *,
    agree: bool,
    notes: str,
    by: User,
    registration_confirmed: bool = False,
    registration_reason: str | None = None,
    proceed_unsigned_reason: str | None = None,
) -> None:
    """The headteacher's decision. Agreeing makes the placement active (sessions are expected from its start date
    only, so an agreed placement that starts later expects nothing before then); declining cancels it.

    Agreeing while the provider is over the independent school registration line (registration_warning) needs the
    headteacher to confirm they checked it and say why the placement can go ahead: kept with the decision's notes
    and audited on its own.

    Agreeing makes the placement start, so a planned placement whose joint risk assessment is not signed by both
    DSLs (risk.why_cannot_start) needs the headteacher's recorded decision to proceed without it, with a reason
    (`proceed_unsigned_reason`, kept with the assessment and audited)."""
    if placement.headteacher_decision != HeadteacherDecision.PENDING:
        raise RuleBroken("This placement has already been decided", "decision")
    if not agree and placement.status == PlacementStatus.ACTIVE:
        # A changed plan of a running placement: declining must not wipe out a placement with attendance behind it.
        raise RuleBroken(
            "This placement is already running, so it cannot be declined. Agree the changed plan, or ask the AP lead "
            "to change it again or to end the placement.",
            "decision",
        )
    if agree:
        _approved_profile(placement.school_id, placement.provider_id)  # approval may have lapsed since the plan
        lock_pupil(placement.pupil)
        clash = timetable_clash(
            placement.pupil,
            placement.start_date,
            _last_day(placement),
            placement.timetable or [],
            other_than=placement.id,
        )
        if clash:
            raise RuleBroken(clash, "decision")
    warning = registration_warning(placement.provider_id) if agree else None
    why_over_the_line = (registration_reason or "").strip()
    if warning:
        if not registration_confirmed:
            raise RuleBroken(
                "Confirm that you have checked the registration and say why the placement can go ahead",
                "confirm_registration",
            )
        if not why_over_the_line:
            raise RuleBroken("Say why the placement can go ahead", "registration_reason")
        if len(why_over_the_line) > 2000:
            raise RuleBroken("Keep the reason to 2000 characters", "registration_reason")
    unsigned = agree and placement.status == PlacementStatus.PLANNED and risk.why_cannot_start(placement)
    if unsigned and not (proceed_unsigned_reason or "").strip():
        raise RuleBroken(unsigned, "proceed_unsigned_reason")
    if unsigned:
        risk.proceed_unsigned(placement, proceed_unsigned_reason, by=by)
    placement.headteacher_decision = HeadteacherDecision.AGREED if agree else HeadteacherDecision.DECLINED
    placement.status = PlacementStatus.ACTIVE if agree else PlacementStatus.CANCELLED
    notes = (notes or "").strip()
    if warning:
        notes = "\n\n".join(
            part for part in (notes, f"Agreed over the registration warning: {why_over_the_line}") if part
        )
        audit.record(
            "placement.agreed_over_registration_warning",
            organisation=placement.school,
            obj=placement,
            actor=by,
            reason=why_over_the_line,
        )
    placement.headteacher_decision_notes = notes or None
    placement.headteacher_decided_by_id = by.id
    placement.headteacher_decided_at = utcnow()
    audit.record(
        "placement.decided",
        organisation=placement.school,
        obj=placement,
        actor=by,
        decision=placement.headteacher_decision.value,
    )
    if agree:
        tell_local_authority(placement, by=by)  # the school telling its LA of the placement it commissions
    db.session.commit()


@dataclass
class NeedToKnowSummary:
    """What the provider may know, written by the SENDCO or DSL. All the provider sees of the pupil's needs."""

    summary_send_needs: str | None = None
    summary_semh_needs: str | None = None
    summary_support_plan: str | None = None
    summary_interventions: str | None = None
    summary_agencies: str | None = None


SUMMARY_FIELDS = tuple(NeedToKnowSummary.__dataclass_fields__)


def save_summary(placement: Placement, summary: NeedToKnowSummary, *, by: User) -> None:
    values = {name: (getattr(summary, name) or "").strip() or None for name in SUMMARY_FIELDS}
    if not any(values.values()):
        raise RuleBroken("Write at least one part of the summary for the provider", "summary_send_needs")
    for name, value in values.items():
        setattr(placement, name, value)
    placement.summary_written_by_id = by.id
    placement.summary_updated_at = utcnow()
    audit.record("placement.summary_saved", organisation=placement.school, obj=placement, actor=by)
    db.session.commit()


def end_placement(placement: Placement, *, end_date: date | None, destination: str, by: User) -> None:
    """End a running placement on a date, with where the pupil goes next. Sessions after the date are not expected;
    the provider keeps seeing the pupil until then."""
    mark_ended(placement, end_date=end_date, destination=destination, by=by)
    db.session.commit()


def mark_ended(placement: Placement, *, end_date: date | None, destination: str | None, by: User) -> None:
    """The rules of ending, in the caller's transaction (a review's "cease" ends the placement with the review)."""
    if placement.status != PlacementStatus.ACTIVE:
        raise RuleBroken("Only a placement that is running can be ended", "end_date")
    if end_date is None:
        raise RuleBroken("Enter the date the placement ends", "end_date")
    if end_date < placement.start_date:
        raise RuleBroken("The end date cannot be before the placement started", "end_date")
    if destination not in END_DESTINATIONS:
        raise RuleBroken("Choose where the pupil goes next", "destination")
    placement.end_date = end_date
    placement.end_destination = destination
    placement.status = PlacementStatus.ENDED
    audit.record("placement.ended", organisation=placement.school, obj=placement, actor=by, destination=destination)


# --- what the provider sees ---------------------------------------------------------------------------------------


def visible_to_provider(today: date) -> ColumnElement[bool]:
    """Placements a provider sees: agreed (running, or planned to start), or ended on a date still to come."""
    return or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(Placement.status == PlacementStatus.PLANNED, Placement.headteacher_decision == HeadteacherDecision.AGREED),
        and_(Placement.status == PlacementStatus.ENDED, Placement.end_date >= today),
    )


def provider_placements(provider_id: uuid.UUID, today: date) -> list[Placement]:
    """The placements the provider sees, from every school it works with, with their pupils and sites (a fixed
    number of queries however many)."""
    return list(
        db.session.scalars(
            select(Placement)
            .join(Pupil, Pupil.id == Placement.pupil_id)
            .where(Placement.provider_id == provider_id, visible_to_provider(today))
            .order_by(Pupil.last_name, Pupil.first_name)
            .options(contains_eager(Placement.pupil), selectinload(Placement.sites))
        )
    )


def provider_placement(provider_id: uuid.UUID, placement_id: uuid.UUID, today: date) -> Placement | None:
    return db.session.scalar(
        select(Placement).where(
            Placement.id == placement_id, Placement.provider_id == provider_id, visible_to_provider(today)
        )
    )


# --- the independent school registration line ---------------------------------------------------------------------


_Query = TypeVar("_Query", bound=Select[Any])


def counted_for_registration() -> ColumnElement[bool]:
    """Placements the registration line counts: running, or planned and not declined."""
    return or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(
            Placement.status == PlacementStatus.PLANNED,
            Placement.headteacher_decision != HeadteacherDecision.DECLINED,
        ),
    )


def _current(query: _Query) -> _Query:
    return query.where(counted_for_registration())


def over_the_line(full_time_pupils: int, vulnerable: bool) -> str | None:
    """To whom a provider that is not a school gives full-time education, in words, when that crosses the
    registration line; None when it does not. The true reason: the number of full-time pupils when that crosses the
    line (and, if so, that one of them has an EHC plan or is looked after as well), else the pupil with an EHC plan
    or looked after."""
    if full_time_pupils >= REGISTRATION_PUPIL_COUNT:
        return f"{full_time_pupils} pupils" + (
            ", and one of them has an EHC plan or is looked after" if vulnerable else ""
        )
    if vulnerable:
        return "a pupil with an EHC plan or who is looked after"
    return None


def registration_warning(provider_id: uuid.UUID) -> str | None:
    """A warning (never a refusal) when a provider that is not a school would, with its planned and running
    placements, be giving full-time education to 5 or more pupils, or to one with an EHC plan or who is looked
    after. Placements with no hours recorded are not counted."""
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))
    if profile is None or (profile.provider_type and profile.provider_type in NOT_NEEDING_REGISTRATION):
        return None
    pupils = db.session.execute(
        _current(
            select(Pupil.id, Pupil.send_status, Pupil.looked_after)
            .join(Placement, Placement.pupil_id == Pupil.id)
            .where(Placement.provider_id == provider_id, Placement.hours_per_week > FULL_TIME_HOURS)
        ).distinct()
    ).all()
    name = profile.organisation.name
    vulnerable = any(row.send_status == SendStatus.EHCP or row.looked_after for row in pupils)
    to_whom = over_the_line(len(pupils), vulnerable)
    if to_whom is None:
        return None
    return (
        f"{name} is not registered as a school. It would be giving full-time education (more than "
        f"{FULL_TIME_HOURS} hours a week) to {to_whom}, so it would need to register as an independent school. "
        f"Check with {name} before the placement goes ahead: placing pupils with an unregistered independent school "
        "is not allowed."
    )


# --- the school's lists -------------------------------------------------------------------------------------------


# --- the risk assessment --------------------------------------------------------------------------------------------


def store_risk_assessment(
    placement: Placement, stream: IO[bytes], filename: str, *, by: User | None
) -> PlacementDocument:
    """Take a risk assessment through the shared upload pipeline and keep it with the placement, stored encrypted
    like a safeguarding attachment (it is about the pupil). Raises
    UploadRefused (nothing stored, no row) for anything the pipeline refuses."""
    document_id = uuid.uuid4()
    purpose = file_purpose(document_id, "PlacementDocument")  # stored encrypted, bound to its row
    with store_upload(stream, filename, organisation_id=placement.school_id, encrypt_purpose=purpose) as stored:
        document = _document_row(placement, stored, by)
        document.id, document.key_id = document_id, keyring().current
        db.session.add(document)
        db.session.flush()
        audit.record(
            "placement.document_uploaded",
            organisation=placement.school,
            obj=placement,
            actor=by,
            kind=document.kind,
            virus_scanned=stored.virus_scanned,
        )
        db.session.commit()
    return document


def _document_row(placement: Placement, stored: StoredUpload, by: User | None) -> PlacementDocument:
    return PlacementDocument(
        placement_id=placement.id,
        school_id=placement.school_id,
        kind="risk_assessment",
        storage_key=stored.key,
        display_name=stored.display_name,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        virus_scanned=stored.virus_scanned,
        uploaded_by_id=by.id if by is not None else None,
    )


def risk_assessments(placement: Placement) -> list[PlacementDocument]:
    """Newest first; the first is the current one."""
    return list(
        db.session.scalars(
            select(PlacementDocument)
            .where(PlacementDocument.placement_id == placement.id, PlacementDocument.kind == "risk_assessment")
            .order_by(PlacementDocument.uploaded_at.desc())
        )
    )
