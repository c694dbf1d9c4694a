"""The provider's lists, one per role, and the union for a person with several roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select

from shared import roles
from shared.clock import local_now
from shared.extensions import db
from shared.links import Link
from shared.models import (
    AttendanceMark,
    Concern,
    DocumentStatus,
    EvidenceDocument,
    Incident,
    Notice,
    Organisation,
    Placement,
    PlacementStatus,
    PolicyConfirmation,
    PolicyReading,
    ProviderProfile,
    SchoolPolicy,
    SchoolProvider,
)
from shared.models.base import utcnow
from shared.services.attendance import overview as attendance_overview
from shared.services.attendance.marks import COUNTING_STATUSES
from shared.services.attention.tasks import (
    EVIDENCE_LAPSING_DAYS,
    FOR_INFORMATION,
    PROVIDER_REVIEW_DAYS,
    SOON,
    TODAY,
    URGENT,
    Task,
    how_many,
    ordered,
    risk_assessments_to_review,
)
from shared.services.placements import progress, risk
from shared.services.placements.reviews import latest_reviews, next_review_due

# --- the provider --------------------------------------------------------------------------------------------------


def marks_due_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    """Sessions expected today that are not marked yet; urgent once past the agreed time."""
    local = local_now(now)
    day = local.date()
    placements = db.session.execute(
        select(Placement.id, Placement.school_id, Placement.timetable, Placement.start_date, Placement.end_date).where(
            Placement.provider_id == provider_id,
            Placement.status.in_(COUNTING_STATUSES),
            Placement.start_date <= day,
            (Placement.end_date.is_(None)) | (Placement.end_date >= day),
        )
    ).all()
    if not placements:
        return []
    # Each pupil by its own school's calendar (one school's INSET day is another's school day): two queries for all.
    school_days = {
        school_id: day in days for school_id, days in _school_days_of({p.school_id for p in placements}, day)
    }
    marked = set(
        db.session.execute(
            select(AttendanceMark.placement_id, AttendanceMark.session).where(
                AttendanceMark.provider_id == provider_id, AttendanceMark.day == day
            )
        ).all()
    )
    profile = db.session.execute(
        select(ProviderProfile.am_marks_due, ProviderProfile.pm_marks_due).where(
            ProviderProfile.organisation_id == provider_id
        )
    ).one()
    due = overdue = 0
    for p in placements:
        if not school_days[p.school_id]:
            continue
        for session, deadline in (("AM", profile.am_marks_due), ("PM", profile.pm_marks_due)):
            if not attendance_overview._expects(p.timetable, p.start_date, p.end_date, day, session):
                continue
            if (p.id, session) in marked:
                continue
            due += 1
            overdue += local >= datetime.combine(day, deadline, tzinfo=local.tzinfo)
    if not due:
        return []
    text = f"{how_many(due, 'attendance mark is', 'attendance marks are')} due today"
    if overdue:
        text += f" ({overdue} past the time agreed with the school)"
    return [Task("provider.marks", URGENT if overdue else TODAY, text, Link.to("portal.attendance_today"))]


def _school_days_of(school_ids: set[uuid.UUID], day: date) -> list[tuple[uuid.UUID, list[date]]]:
    from shared.services.school_calendar.days import school_days_of

    return list(school_days_of(school_ids, day, day).items())


def incidents_waiting_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    count, oldest = db.session.execute(
        select(func.count(), func.min(Incident.reported_at)).where(
            Incident.provider_id == provider_id, Incident.acknowledged_at.is_(None)
        )
    ).one()
    if not count:
        return []
    return [
        Task(
            "provider.incidents",
            FOR_INFORMATION,
            f"{how_many(count, 'incident you reported is', 'incidents you reported are')} waiting for the school "
            "to acknowledge",
            Link.to("portal.incidents_list"),
            oldest,
        )
    ]


def evidence_to_renew_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    today = local_now(now).date()
    rows = db.session.execute(
        select(
            EvidenceDocument.evidence_type,
            EvidenceDocument.version,
            EvidenceDocument.status,
            EvidenceDocument.expiry_date,
        ).where(EvidenceDocument.organisation_id == provider_id, EvidenceDocument.status != DocumentStatus.SUPERSEDED)
    ).all()
    current: dict[str, Row[tuple[str, int, DocumentStatus, date | None]]] = {}
    for row in rows:
        if row.evidence_type not in current or row.version > current[row.evidence_type].version:
            current[row.evidence_type] = row
    horizon = today + timedelta(days=EVIDENCE_LAPSING_DAYS)
    renew = [
        row
        for row in current.values()
        if row.status in (DocumentStatus.REJECTED, DocumentStatus.EXPIRED)
        or (row.status == DocumentStatus.VERIFIED and row.expiry_date is not None and row.expiry_date <= horizon)
    ]
    if not renew:
        return []
    # A verified document is only in `renew` with an expiry date.
    urgent = any(
        row.status != DocumentStatus.VERIFIED or (row.expiry_date is not None and row.expiry_date <= today)
        for row in renew
    )
    return [
        Task(
            "provider.evidence",
            URGENT if urgent else SOON,
            f"{how_many(len(renew), 'piece of evidence', 'pieces of evidence')} to renew: rejected, out of date or "
            f"running out within {EVIDENCE_LAPSING_DAYS} days",
            Link.to("portal.documents"),
        )
    ]


def provider_dsl_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    tasks = []
    count, oldest = db.session.execute(
        select(func.count(), func.min(Notice.shared_at)).where(
            Notice.provider_id == provider_id,
            Notice.acknowledged_at.is_(None),
            or_(Notice.expires_at.is_(None), Notice.expires_at > now),
        )
    ).one()
    if count:
        tasks.append(
            Task(
                "provider.notices",
                URGENT,
                how_many(count, "safeguarding notice from the school is", "safeguarding notices from the school are")
                + " waiting for you to acknowledge",
                Link.to("portal.notices_list"),
                oldest,
            )
        )
    count, oldest = db.session.execute(
        select(func.count(), func.min(Concern.raised_at)).where(
            Concern.provider_id == provider_id, Concern.status == "raised"
        )
    ).one()
    if count:
        tasks.append(
            Task(
                "provider.concerns",
                URGENT,
                how_many(count, "safeguarding concern from your staff is", "safeguarding concerns from your staff are")
                + " waiting to be sent to the school",
                Link.to("portal.concerns_list"),
                oldest,
            )
        )
    for latest in _latest_policies(
        provider_id,
        PolicyConfirmation.id,
        and_(PolicyConfirmation.policy_id == SchoolPolicy.id, PolicyConfirmation.provider_id == provider_id),
        PolicyConfirmation,
    ):
        if latest.done is None:
            tasks.append(
                Task(
                    "provider.school_policy",
                    TODAY,
                    f"{latest.school_name}'s child protection policy (version {latest.version}) is waiting for you "
                    "to confirm",
                    Link.to("portal.school_policy", school=latest.school_arg),
                )
            )
    tasks += risk_assessments_to_review(risk.reopened(provider_id=provider_id), "provider", "portal")
    return tasks


def reviews_to_attend_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    today = local_now(now).date()
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.provider_id == provider_id, Placement.status == PlacementStatus.ACTIVE)
        )
    )
    latest = latest_reviews([p.id for p in placements])
    horizon = today + timedelta(days=PROVIDER_REVIEW_DAYS)
    count = sum(
        1
        for p in placements
        if (due_on := next_review_due(p, latest.get(p.id))) is not None and today <= due_on <= horizon
    )
    if not count:
        return []
    return [
        Task(
            "provider.reviews",
            SOON,
            f"{how_many(count, 'placement review is', 'placement reviews are')} due in the next "
            f"{PROVIDER_REVIEW_DAYS} days: the school will ask you to attend",
            Link.to("portal.pupils"),
        )
    ]


def progress_tasks(provider_id: uuid.UUID, now: datetime) -> list[Task]:
    """Each pupil's baseline (in the first week of the placement) and half-term progress report, due or late."""
    today = local_now(now).date()
    tasks = [
        Task(
            f"provider.baseline.{placement.id}",
            URGENT if late else TODAY,
            f"Record where {placement.pupil.known_as} starts (the baseline): "
            + ("late, it was due in the first week" if late else "due in the first week of the placement"),
            Link.to("portal.progress_baseline", placement_id=placement.id),
        )
        for placement, late in progress.baselines_due_for_provider(provider_id, today)
    ]
    tasks += [
        Task(
            f"provider.progress_report.{due.placement.id}",
            URGENT if due.state == progress.Due.LATE else SOON,
            f"Write {due.placement.pupil.known_as}'s progress report for {due.period.name}: "
            + ("late" if due.state == progress.Due.LATE else "due"),
            Link.to("portal.progress_report", placement_id=due.placement.id),
        )
        for due in progress.reports_due_for_provider(provider_id, today)
    ]
    return tasks


PROVIDER_LISTS = {
    roles.PROVIDER_MANAGER: (
        marks_due_tasks,
        incidents_waiting_tasks,
        evidence_to_renew_tasks,
        reviews_to_attend_tasks,
        progress_tasks,
    ),
    roles.PROVIDER_DSL: (marks_due_tasks, incidents_waiting_tasks, provider_dsl_tasks, reviews_to_attend_tasks),
    roles.PROVIDER_STAFF: (marks_due_tasks, incidents_waiting_tasks, progress_tasks),
}


def policy_to_read_tasks(provider_id: uuid.UUID, user_id: uuid.UUID) -> list[Task]:
    """Everyone at the provider reads each version of the school's child protection policy themselves."""
    return [
        Task(
            "provider.policy_to_read",
            TODAY,
            f"Read {latest.school_name}'s child protection policy (version {latest.version}) and confirm you will "
            "follow it",
            Link.to("portal.school_policy", school=latest.school_arg),
        )
        for latest in _latest_policies(
            provider_id,
            PolicyReading.id,
            and_(PolicyReading.policy_id == SchoolPolicy.id, PolicyReading.user_id == user_id),
            PolicyReading,
        )
        if latest.done is None
    ]


def _latest_policies(provider_id: uuid.UUID, done: Any, on: Any, target: Any) -> list[Row[Any]]:
    """The current policy of each school the provider works with (school_id, school_name, version, school_arg:
    the school's id for a link when the provider works with several schools, else None) and `done` (the id of the
    `target` row joined `on` it: a confirmation or a reading), in one query."""
    several = select(func.count(SchoolProvider.id)).where(SchoolProvider.provider_id == provider_id).scalar_subquery()
    newest = (
        select(SchoolPolicy.school_id, func.max(SchoolPolicy.version).label("version"))
        .group_by(SchoolPolicy.school_id)
        .subquery()
    )
    return list(
        db.session.execute(
            select(
                SchoolPolicy.school_id,
                Organisation.name.label("school_name"),
                SchoolPolicy.version,
                case((several > 1, SchoolPolicy.school_id), else_=None).label("school_arg"),
                done.label("done"),
            )
            .join(newest, and_(newest.c.school_id == SchoolPolicy.school_id, newest.c.version == SchoolPolicy.version))
            .join(SchoolProvider, SchoolProvider.school_id == SchoolPolicy.school_id)
            .join(Organisation, Organisation.id == SchoolPolicy.school_id)
            .outerjoin(target, on)
            .where(SchoolProvider.provider_id == provider_id)
            .order_by(Organisation.name)
        ).all()
    )


def provider_tasks(
    provider_id: uuid.UUID,
    user_roles: Iterable[str],
    now: datetime | None = None,
    *,
    user_id: uuid.UUID | None = None,
) -> list[Task]:
    """The person's list: each of their roles' lists once, and (given `user_id`) the school's policy for them to
    read, unless the DSL's own confirmation for the organisation already leads to the same page."""
    now = now or utcnow()
    builds = []
    for role in set(user_roles):
        for build in PROVIDER_LISTS.get(role, ()):
            if build not in builds:
                builds.append(build)
    tasks = [task for build in builds for task in build(provider_id, now)]
    if user_id is not None:
        # Not for a school whose policy the DSL's own confirmation task already leads to.
        leads_to = {task.link for task in tasks if task.key == "provider.school_policy"}
        tasks += [task for task in policy_to_read_tasks(provider_id, user_id) if task.link not in leads_to]
    return ordered(tasks)
