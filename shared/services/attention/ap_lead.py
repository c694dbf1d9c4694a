"""The AP lead's list: evidence to verify, providers waiting, breaches, visits and reviews due, incidents,
registration."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, case, func, or_, select

from shared.clock import local_now, school_midnight
from shared.evidence_catalogue import BY_CODE, ProviderType, verifiable_by
from shared.extensions import db
from shared.links import Link
from shared.models import (
    ComplianceBreach,
    DocumentStatus,
    EvidenceDocument,
    HeadteacherDecision,
    Incident,
    Organisation,
    Placement,
    PlacementStatus,
    ProviderProfile,
    ProviderStatus,
    Pupil,
    SchoolProvider,
    SendStatus,
    SiteVisit,
)
from shared.roles import AP_LEAD
from shared.services.attention.tasks import (
    EVIDENCE_LAPSING_DAYS,
    REVIEW_DUE_DAYS,
    SOON,
    TODAY,
    URGENT,
    VISIT_EVERY_DAYS,
    Task,
    aware,
    how_many,
)
from shared.services.evidence import reliance
from shared.services.evidence.staff_flags import open_flags_of_school
from shared.services.local_authority.limits import APPROACHING_WEEKS, Limits
from shared.services.local_authority.placements import limit_counts
from shared.services.placements import early_warning, reintegration
from shared.services.placements.plans import FULL_TIME_HOURS, NOT_NEEDING_REGISTRATION, REGISTRATION_PUPIL_COUNT
from shared.services.placements.reviews import FOLLOW_UP_WEEKS, follow_ups_due, next_review_due, with_latest_reviews
from shared.services.providers import reapproval


def ap_lead_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    tasks = []
    today = local_now(now).date()
    profiles = db.session.execute(
        select(ProviderProfile.organisation_id, SchoolProvider.status, ProviderProfile.provider_type)
        .join(SchoolProvider, SchoolProvider.provider_id == ProviderProfile.organisation_id)
        .where(SchoolProvider.school_id == school_id, SchoolProvider.shared_with_school())
    ).all()
    provider_ids = [p.organisation_id for p in profiles]
    documents = (
        db.session.execute(
            select(
                EvidenceDocument.id,
                EvidenceDocument.organisation_id,
                EvidenceDocument.evidence_type,
                EvidenceDocument.version,
                EvidenceDocument.status,
                EvidenceDocument.expiry_date,
                EvidenceDocument.uploaded_at,
                EvidenceDocument.rejection_reason,
            ).where(
                EvidenceDocument.organisation_id.in_(provider_ids),
                EvidenceDocument.status != DocumentStatus.SUPERSEDED,
            )
        ).all()
        if provider_ids
        else []
    )
    current: dict[tuple[uuid.UUID, str], Row[Any]] = {}
    for row in documents:
        key = (row.organisation_id, row.evidence_type)
        if key not in current or row.version > current[key].version:
            current[key] = row

    # What each version is for this school: verified by whom it relies on, or waiting for its own check (reliance).
    school = db.session.get(Organisation, school_id)
    assert school is not None, "the signed-in person's school"
    decisions = reliance.decisions_by_document(row.id for row in current.values())
    for_school = {
        key: reliance.state_of(
            school, row.status, row.expiry_date, row.rejection_reason, decisions.get(row.id, []), today
        )
        for key, row in current.items()
    }
    # Only what the AP lead may verify: the child protection policy is the DSL's (counted on the DSL's list).
    mine = verifiable_by({AP_LEAD})
    waiting = (reliance.State.AWAITING_REVIEW, reliance.State.NEEDS_YOU)
    to_verify = [
        row
        for key, row in current.items()
        if row.status != DocumentStatus.UPLOADED and for_school[key].state in waiting and row.evidence_type in mine
    ]
    if to_verify:
        tasks.append(
            Task(
                "ap.verify",
                TODAY,
                how_many(len(to_verify), "piece of evidence is", "pieces of evidence are")
                + " waiting for you to check",
                Link.to("school_admin.verification_queue"),
                min(row.uploaded_at for row in to_verify),
            )
        )
    submitted = [p for p in profiles if p.status == ProviderStatus.SUBMITTED]
    if submitted:
        tasks.append(
            Task(
                "ap.approve",
                TODAY,
                how_many(len(submitted), "organisation is", "organisations are")
                + " waiting for your approval decision",
                Link.to("school_admin.providers"),
            )
        )

    # Approved providers' required evidence: lapsed (the provider is at risk) or lapsing within 60 days. This is
    # the evidence part of shared.services.evidence.expiry.is_at_risk, done for every provider at once.
    at_risk, lapsing = set(), 0
    horizon = today + timedelta(days=EVIDENCE_LAPSING_DAYS)
    for profile in profiles:
        if profile.status != ProviderStatus.APPROVED:
            continue
        kind = ProviderType(profile.provider_type) if profile.provider_type else None
        for evidence in (e for e in BY_CODE.values() if e.required(kind)):
            document = current.get((profile.organisation_id, evidence.code))
            if document is None or not for_school[(profile.organisation_id, evidence.code)].done:
                at_risk.add(profile.organisation_id)
            elif document.expiry_date is not None and document.expiry_date <= horizon:
                lapsing += 1
    if at_risk:
        tasks.append(
            Task(
                "ap.at_risk",
                URGENT,
                f"{how_many(len(at_risk), 'approved organisation is', 'approved organisations are')} at risk: required "
                "evidence is out of date or missing",
                Link.to("school_admin.providers"),
            )
        )
    if lapsing:
        tasks.append(
            Task(
                "ap.lapsing",
                SOON,
                f"{how_many(lapsing, 'piece of evidence runs', 'pieces of evidence run')} out within "
                f"{EVIDENCE_LAPSING_DAYS} days",
                Link.to("school_admin.providers"),
            )
        )

    tasks += _staff_flags(school_id, provider_ids)
    tasks += _reviews_due(school_id, today)
    tasks += _follow_ups_due(school_id, today)
    tasks += _incidents(school_id)
    tasks += _registration_warnings(school_id)
    tasks += _unregistered_limits(school_id, today)
    tasks += _breaches(school_id)
    tasks += _visits_due(school_id, today)
    tasks += early_warning_tasks(school_id, now, with_concerns=False)
    tasks += _reapprovals_due(school_id, now)
    return tasks


def early_warning_tasks(school_id: uuid.UUID, now: datetime, *, with_concerns: bool) -> list[Task]:
    """Running placements showing early warning signs (shared.services.placements.early_warning): a count and where
    to look, never who. One key for the AP lead's and the DSL's lists, so a DSL who is also the AP lead sees it once
    (the DSL's, counting concerns, comes first)."""
    warnings = early_warning.warnings_for_school(school_id, now, with_concerns=with_concerns)
    if not warnings:
        return []
    return [
        Task(
            "school.early_warning",
            TODAY,
            f"{how_many(len(warnings), 'placement shows', 'placements show')} early warning signs: see why",
            Link.to("school_admin.early_warning_list"),
        )
    ]


def _reapprovals_due(school_id: uuid.UUID, now: datetime) -> list[Task]:
    """Providers approved 11 months ago or more (shared.services.providers.reapproval): one query."""
    due = reapproval.due_reapproval(school_id, now)
    if not due:
        return []
    link = (
        Link.to("school_admin.provider_reapproval", provider_id=due[0].provider_id)
        if len(due) == 1
        else Link.to("school_admin.reapprovals_due")
    )
    text = f"{how_many(len(due), 'provider is', 'providers are')} due re-approval: approved 11 months ago or more"
    return [Task("ap.reapproval", SOON, text, link)]


def _staff_flags(school_id: uuid.UUID, provider_ids: list[uuid.UUID]) -> list[Task]:
    """Weak checks on providers' staff lists waiting for the AP lead's decision; DBS new information first and
    urgent. A count and where to act: never who."""
    flags = open_flags_of_school(school_id, provider_ids)
    if not flags.count:
        return []
    link = (
        Link.to("school_admin.provider_staff", provider_id=next(iter(flags.provider_ids)))
        if len(flags.provider_ids) == 1
        else Link.to("school_admin.providers")
    )
    tasks = []
    if flags.new_information:
        tasks.append(
            Task(
                "ap.staff_new_information",
                URGENT,
                f"{how_many(flags.new_information, 'DBS status check', 'DBS status checks')} at a provider found new "
                "information about a member of staff: record what you did",
                link,
            )
        )
    others = flags.count - flags.new_information
    if others:
        tasks.append(
            Task(
                "ap.staff_flags",
                TODAY,
                f"{how_many(others, 'weak check', 'weak checks')} on providers' staff lists "
                f"{'needs' if others == 1 else 'need'} your decision",
                link,
            )
        )
    return tasks


def _breaches(school_id: uuid.UUID) -> list[Task]:
    """Agreement terms rated red over a half-term, until the AP lead records what they did (compliance_breaches)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(ComplianceBreach.raised_at)).where(
            ComplianceBreach.school_id == school_id, ComplianceBreach.resolved_at.is_(None)
        )
    ).one()
    if not count:
        return []
    return [
        Task(
            "ap.breaches",
            TODAY,
            f"{how_many(count, 'breach', 'breaches')} of a service level agreement "
            f"{'needs' if count == 1 else 'need'} you to record what you did",
            Link.to("school_admin.compliance_breaches_list"),
            aware(oldest),
        )
    ]


def _visits_due(school_id: uuid.UUID, today: date) -> list[Task]:
    """Providers with a pupil placed now that the AP lead has not visited within VISIT_EVERY_DAYS (nor since the
    first of those placements began that long ago). One grouped query."""
    every = timedelta(days=current_app.config.get("VISIT_EVERY_DAYS", VISIT_EVERY_DAYS))
    last_visit = (
        select(func.max(SiteVisit.visited_on))
        .where(SiteVisit.school_id == school_id, SiteVisit.provider_id == Placement.provider_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Placement.provider_id, func.min(Placement.start_date), last_visit)
        .where(Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE)
        .group_by(Placement.provider_id)
    ).all()
    due = []
    for _, first_start, visited_on in rows:
        since = visited_on or first_start
        if isinstance(since, str):  # a scalar subquery's date comes back as text on SQLite
            since = date.fromisoformat(since)
        if since + every < today:
            due.append(since + every)
    if not due:
        return []
    return [
        Task(
            "ap.visits",
            SOON,
            f"{how_many(len(due), 'provider with pupils placed has', 'providers with pupils placed have')} not had a "
            f"visit from the school in the last {every.days // 7} weeks",
            Link.to("school_admin.visits_list"),
            school_midnight(min(due)),
        )
    ]


def _reviews_due(school_id: uuid.UUID, today: date) -> list[Task]:
    """Running placements whose review is overdue or due within a week (reviews.next_review_due on bulk rows)."""
    # The placements and their latest reviews in one query.
    placements_and_reviews = with_latest_reviews(
        Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE
    )
    placements = [placement for placement, _ in placements_and_reviews]
    latest = {placement.id: review for placement, review in placements_and_reviews if review is not None}
    overdue = due = 0
    oldest: date | None = None
    to_write = [p for p in placements if reintegration.is_to_write(p, latest.get(p.id))]
    for placement in placements:
        due_on = next_review_due(placement, latest.get(placement.id))
        if due_on is None:
            continue
        if due_on < today:
            overdue += 1
            oldest = min(oldest or due_on, due_on)
        elif due_on <= today + timedelta(days=REVIEW_DUE_DAYS):
            due += 1
    tasks = _reintegration_plans_to_write(to_write)
    link = Link.to("school_admin.reviews_list")
    if overdue:
        assert oldest is not None, "set with the first overdue review"
        tasks.append(
            Task(
                "ap.reviews_overdue",
                TODAY,
                f"{how_many(overdue, 'placement review is', 'placement reviews are')} overdue",
                link,
                school_midnight(oldest),
            )
        )
    if due:
        tasks.append(
            Task(
                "ap.reviews_due",
                SOON,
                f"{how_many(due, 'placement review is', 'placement reviews are')} due within {REVIEW_DUE_DAYS} days",
                link,
            )
        )
    return tasks


def _reintegration_plans_to_write(waiting: list[Placement]) -> list[Task]:
    """Placements whose last review chose a phased return to school and whose plan is not written: until it is,
    the provider's register still expects the whole timetable."""
    if not waiting:
        return []
    link = (
        Link.to("school_admin.reintegration_plan", placement_id=waiting[0].id)
        if len(waiting) == 1
        else Link.to("school_admin.reviews_list")
    )
    return [
        Task(
            "ap.reintegration_plans",
            TODAY,
            "Write "
            + how_many(len(waiting), "reintegration plan", "reintegration plans")
            + ": a review chose a phased return to school",
            link,
        )
    ]


def _follow_ups_due(school_id: uuid.UUID, today: date) -> list[Task]:
    """Placements a review ended whose destination follow-up is due (reviews.follow_ups_due): a count and where to
    act, never who (the home page is often on a screen in a shared office)."""
    due = follow_ups_due(school_id, today)
    if not due:
        return []
    link = (
        Link.to("school_admin.review_detail", review_id=due[0].id)
        if len(due) == 1
        else Link.to("school_admin.reviews_list")
    )
    oldest = due[0].follow_up_on
    assert oldest is not None, "follow_ups_due keeps those with a date"
    return [
        Task(
            "ap.destination_follow_ups",
            TODAY,
            "Follow up " + how_many(len(due), "pupil's destination", "pupils' destinations") + ": "
            f"{'their placement' if len(due) == 1 else 'their placements'} ended {FOLLOW_UP_WEEKS} weeks ago or more",
            link,
            school_midnight(oldest),
        )
    ]


def _incidents(school_id: uuid.UUID) -> list[Task]:
    rows = db.session.execute(
        select(
            Incident.reported_at,
            Incident.acknowledged_at,
            Incident.severity,
            Incident.physical_intervention,
            Incident.injury,
            Incident.course_of_action,
        ).where(
            Incident.school_id == school_id,
            or_(
                Incident.acknowledged_at.is_(None),
                and_(
                    Incident.course_of_action.is_(None),
                    or_(Incident.severity == "serious", Incident.physical_intervention, Incident.injury),
                ),
            ),
        )
    ).all()
    tasks = []
    link = Link.to("school_admin.incidents_list")
    unacknowledged = [r for r in rows if r.acknowledged_at is None]
    if unacknowledged:
        tasks.append(
            Task(
                "ap.incidents",
                TODAY,
                f"{how_many(len(unacknowledged), 'incident', 'incidents')} "
                f"{'has' if len(unacknowledged) == 1 else 'have'} not been acknowledged",
                link,
                min(r.reported_at for r in unacknowledged),
            )
        )
    # incidents.is_serious, on columns.
    serious = [
        r
        for r in rows
        if r.course_of_action is None and (r.severity == "serious" or r.physical_intervention or r.injury)
    ]
    if serious:
        tasks.append(
            Task(
                "ap.serious_incidents",
                URGENT,
                f"{how_many(len(serious), 'serious incident needs', 'serious incidents need')} a course of action",
                link,
                min(r.reported_at for r in serious),
            )
        )
    return tasks


def _registration_warnings(school_id: uuid.UUID) -> list[Task]:
    """placements.registration_warning for every approved provider of the school in one grouped query: a provider
    that is not a school giving full-time education to 5 or more pupils, or to one with an EHC plan or looked
    after, would need to register as an independent school."""
    current = or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(
            Placement.status == PlacementStatus.PLANNED,
            Placement.headteacher_decision != HeadteacherDecision.DECLINED,
        ),
    )
    rows = db.session.execute(
        select(
            ProviderProfile.organisation_id,
            func.count(func.distinct(Pupil.id)),
            func.max(case((or_(Pupil.send_status == SendStatus.EHCP, Pupil.looked_after), 1), else_=0)),
        )
        .join(SchoolProvider, SchoolProvider.provider_id == ProviderProfile.organisation_id)
        .join(Placement, Placement.provider_id == ProviderProfile.organisation_id)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            # Pupils from every school count: the law counts pupils at the provider, whoever placed them. Every
            # school placing there is warned, and a school that has approved it (and may place there).
            SchoolProvider.school_id == school_id,
            or_(
                SchoolProvider.status == ProviderStatus.APPROVED,
                SchoolProvider.provider_id.in_(
                    select(Placement.provider_id).where(Placement.school_id == school_id, current)
                ),
            ),
            or_(
                ProviderProfile.provider_type.is_(None),
                ProviderProfile.provider_type.not_in([t.value for t in NOT_NEEDING_REGISTRATION]),
            ),
            Placement.hours_per_week > FULL_TIME_HOURS,
            current,
        )
        .group_by(ProviderProfile.organisation_id)
    ).all()
    warned = [row for row in rows if row[2] or row[1] >= REGISTRATION_PUPIL_COUNT]
    if not warned:
        return []
    return [
        Task(
            "ap.registration",
            TODAY,
            f"{how_many(len(warned), 'organisation', 'organisations')} would need to register as an independent school "
            "with the placements planned",
            Link.to("school_admin.providers"),
        )
    ]


def _unregistered_limits(school_id: uuid.UUID, today: date) -> list[Task]:
    """The school's own placements at unregistered providers over or near the DfE's intended limits (full time
    beyond 12 weeks, part time beyond 4 sessions a week: shared.services.local_authority.limits), in one query. The
    school's local authority sees the same placements on its own pages."""
    limits = Limits.configured()
    counts = limit_counts(Placement.school_id == school_id, today, limits)
    link = Link.to("school_admin.placements")
    tasks = []
    if counts.over:
        tasks.append(
            Task(
                "ap.limits_over",
                TODAY,
                f"{how_many(counts.over, 'placement', 'placements')} at unregistered providers "
                f"{'is' if counts.over == 1 else 'are'} beyond the DfE's intended limits (full time for more than "
                f"{limits.full_time_weeks} weeks, or part time for more than {limits.part_time_sessions} sessions a "
                "week)",
                link,
            )
        )
    if counts.approaching:
        tasks.append(
            Task(
                "ap.limits_approaching",
                SOON,
                f"{how_many(counts.approaching, 'full-time placement', 'full-time placements')} at unregistered "
                f"providers {'reaches' if counts.approaching == 1 else 'reach'} the DfE's intended limit of "
                f"{limits.full_time_weeks} weeks "
                f"within {APPROACHING_WEEKS} weeks",
                link,
            )
        )
    return tasks
