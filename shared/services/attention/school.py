"""The school's lists, one per role (the AP lead's in ap_lead.py), and the union for a person with several roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Label, Uuid, and_, bindparam, func, or_, select

from shared import roles
from shared.attendance_codes import MarkKind
from shared.auth.sessions import PrincipalRider, autocommit_connection, ridden
from shared.clock import local_now, school_midnight
from shared.display import pounds
from shared.evidence_catalogue import only_verifiable_by
from shared.extensions import db
from shared.hot_reads import HotRead
from shared.links import Link
from shared.models import (
    AttendanceMark,
    Concern,
    DocumentStatus,
    EvidenceDocument,
    HeadteacherDecision,
    Notice,
    Organisation,
    Placement,
    PlacementStatus,
    ProviderPolicyReview,
    SchoolProvider,
)
from shared.models.base import utcnow
from shared.services.attendance import overview as attendance_overview
from shared.services.attention.ap_lead import ap_lead_tasks, early_warning_tasks
from shared.services.attention.tasks import (
    FOR_INFORMATION,
    REINTEGRATION_WEEKS,
    SOON,
    TODAY,
    UNDELIVERED_AFTER,
    URGENT,
    Task,
    aware,
    how_many,
    is_are,
    ordered,
    risk_assessments_to_review,
)
from shared.services.evidence import documents as evidence_documents
from shared.services.placements import risk
from shared.services.reports import budget
from shared.services.safeguarding.policies import PROVIDER_POLICY_CODE

# --- the school ----------------------------------------------------------------------------------------------------


def dsl_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    tasks = []
    concerns = db.session.execute(
        select(
            Concern.status,
            func.count(),
            func.count(Concern.escalated_at),
            func.min(Concern.sent_at),
            func.min(Concern.acknowledged_at),
        )
        .where(Concern.school_id == school_id, Concern.status.in_(("sent", "acknowledged")))
        .group_by(Concern.status)
    ).all()
    queue = Link.to("school_admin.concerns_queue")
    for status, count, escalated, oldest_sent, oldest_acknowledged in concerns:
        if status == "sent":
            concerns_text = how_many(count, "safeguarding concern", "safeguarding concerns")
            text = f"{concerns_text} {is_are(count)} waiting for acknowledgement"
            if escalated:
                text += f" ({escalated} escalated to the headteacher)"
            tasks.append(Task("dsl.concerns_to_acknowledge", URGENT, text, queue, oldest_sent))
        else:
            text = f"{how_many(count, 'safeguarding concern', 'safeguarding concerns')} acknowledged but not closed"
            tasks.append(Task("dsl.concerns_open", SOON, text, queue, oldest_acknowledged))

    notices = db.session.execute(
        select(func.count(), func.count(Notice.chased_at), func.min(Notice.shared_at)).where(
            Notice.school_id == school_id,
            Notice.acknowledged_at.is_(None),
            or_(Notice.expires_at.is_(None), Notice.expires_at > now),
        )
    ).one()
    count, chased, oldest = notices
    if count:
        text = (
            f"{how_many(count, 'safeguarding notice', 'safeguarding notices')} "
            f"{is_are(count)} not acknowledged by the provider yet"
        )
        if chased:
            text += f" ({chased} already chased)"
        tasks.append(
            Task("dsl.notices", URGENT if chased else TODAY, text, Link.to("school_admin.notices_list"), oldest)
        )

    tasks += _evidence_to_verify(school_id)
    tasks += _provider_policies_to_review(school_id)
    tasks += risk_assessments_to_review(risk.reopened(school_id=school_id), "dsl", "school_admin")
    tasks += early_warning_tasks(school_id, now, with_concerns=True)
    return tasks


def _evidence_to_verify(school_id: uuid.UUID) -> list[Task]:
    """Evidence awaiting review of the types only a DSL may verify (the child protection policy): the AP lead's list
    does not count it, so the DSL's must. Types either may verify (the DSL training certificate) stay the AP lead's."""
    # What waits for this school's own check: awaiting anyone's review, or decided only by organisations it does not
    # rely on (shared.services.evidence.reliance).
    school = db.session.get(Organisation, school_id)
    assert school is not None, "the signed-in person's school"
    provider_ids = db.session.scalars(
        select(SchoolProvider.provider_id).where(
            SchoolProvider.school_id == school_id, SchoolProvider.shared_with_school()
        )
    ).all()
    dsl_only = only_verifiable_by(roles.DSL)
    # Only those types are loaded: the rest of the DSL's queue (with each document's decisions) is the AP lead's.
    waiting = evidence_documents.queue_of_school(
        school, provider_ids, reviewer_roles=frozenset({roles.DSL}), only_types=dsl_only
    )
    count, oldest = len(waiting), min((d.uploaded_at for d in waiting), default=None)
    if not count:
        return []
    return [
        Task(
            "dsl.verify",
            TODAY,
            how_many(count, "piece of evidence is", "pieces of evidence are")
            + " waiting for a DSL to check (only a DSL can verify "
            + ("it" if count == 1 else "them")
            + ")",
            Link.to("school_admin.verification_queue"),
            aware(oldest),
        )
    ]


def _provider_policies_to_review(school_id: uuid.UUID) -> list[Task]:
    """Providers whose current child-protection policy no DSL has reviewed since it was uploaded."""
    documents = db.session.execute(
        select(EvidenceDocument.organisation_id, EvidenceDocument.version, EvidenceDocument.uploaded_at)
        .join(SchoolProvider, SchoolProvider.provider_id == EvidenceDocument.organisation_id)
        .where(
            SchoolProvider.school_id == school_id,
            EvidenceDocument.evidence_type == PROVIDER_POLICY_CODE,
            EvidenceDocument.status != DocumentStatus.SUPERSEDED,
        )
    ).all()
    current: dict[uuid.UUID, tuple[int, datetime]] = {}  # provider id -> (version, uploaded_at)
    for provider_id, version, uploaded_at in documents:
        if provider_id not in current or version > current[provider_id][0]:
            current[provider_id] = (version, uploaded_at)
    if not current:
        return []
    reviewed = dict(
        db.session.execute(
            select(ProviderPolicyReview.provider_id, func.max(ProviderPolicyReview.reviewed_at))
            .where(ProviderPolicyReview.school_id == school_id)
            .group_by(ProviderPolicyReview.provider_id)
        )
        .tuples()
        .all()
    )
    waiting = [
        (provider_id, uploaded_at)
        for provider_id, (_, uploaded_at) in current.items()
        if reviewed.get(provider_id) is None or reviewed[provider_id] < uploaded_at
    ]
    if not waiting:
        return []
    link = (
        Link.to("school_admin.assess_provider_policy", provider_id=waiting[0][0])
        if len(waiting) == 1
        else Link.to("school_admin.providers")
    )
    text = (
        "1 provider's child protection policy to review"
        if len(waiting) == 1
        else f"{len(waiting)} organisations' child protection policies to review"
    )
    return [Task("dsl.provider_policies", SOON, text, link, min(u for _, u in waiting))]


def attendance_lead_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    tasks = []
    local = local_now(now)
    today = attendance_overview.today(school_id, local.date(), local)
    page = Link.to("school_admin.attendance_today")
    if today.missing:
        tasks.append(
            Task(
                "attendance.unmarked",
                URGENT,
                f"{how_many(today.missing, 'session', 'sessions')} today {is_are(today.missing)} still not marked "
                "by the provider",
                page,
            )
        )
    unexplained = sum(
        1
        for pupil in today.pupils
        for state in pupil.sessions.values()
        if state.state == "absent" and state.code == "N"
    )
    if unexplained:
        tasks.append(
            Task(
                "attendance.unexplained_today",
                URGENT,
                f"{how_many(unexplained, 'absence', 'absences')} today with no reason given",
                page,
            )
        )
    undelivered = [
        alert
        for alert in today.alerts
        if alert.delivery.state in ("waiting", "failed") and alert.raised_at <= local - UNDELIVERED_AFTER
    ]
    if undelivered:
        tasks.append(
            Task(
                "attendance.undelivered",
                URGENT,
                f"{how_many(len(undelivered), 'absence alert', 'absence alerts')} today "
                f"{'has' if len(undelivered) == 1 else 'have'} not been delivered by e-mail",
                page,
                min(alert.raised_at for alert in undelivered),
            )
        )
    count, oldest_day = db.session.execute(
        select(func.count(), func.min(AttendanceMark.day)).where(
            AttendanceMark.school_id == school_id,
            AttendanceMark.kind == MarkKind.ABSENT.value,
            AttendanceMark.code == "N",
            AttendanceMark.day < local.date(),
        )
    ).one()
    if count:
        tasks.append(
            Task(
                "attendance.to_decide",
                SOON,
                f"{how_many(count, 'earlier absence', 'earlier absences')} still coded N, waiting for the school's "
                "decision",
                Link.to("school_admin.absences_to_decide"),
                school_midnight(oldest_day) if oldest_day else None,
            )
        )
    return tasks


def sendco_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    today = local_now(now).date()
    summary_empty = and_(
        *(
            or_(column.is_(None), column == "")
            for column in (
                Placement.summary_send_needs,
                Placement.summary_semh_needs,
                Placement.summary_support_plan,
                Placement.summary_interventions,
                Placement.summary_agencies,
            )
        )
    )
    running = Placement.status.in_((PlacementStatus.ACTIVE, PlacementStatus.PLANNED))
    no_summary, reintegration = db.session.execute(
        select(
            func.count().filter(running, summary_empty),
            func.count().filter(
                Placement.status == PlacementStatus.ACTIVE,
                Placement.max_end_date >= today,
                Placement.max_end_date <= today + timedelta(weeks=REINTEGRATION_WEEKS),
            ),
        ).where(Placement.school_id == school_id)
    ).one()
    tasks = []
    link = Link.to("school_admin.placements")
    if no_summary:
        tasks.append(
            Task(
                "sendco.summaries",
                TODAY,
                f"{how_many(no_summary, 'placement has', 'placements have')} no need-to-know summary for the provider",
                link,
            )
        )
    if reintegration:
        tasks.append(
            Task(
                "sendco.reintegration",
                SOON,
                f"{how_many(reintegration, 'placement reaches', 'placements reach')} its latest end date within "
                f"{REINTEGRATION_WEEKS} weeks: review the reintegration plan",
                link,
            )
        )
    return tasks


def _headteacher_counts(school: ColumnElement[uuid.UUID]) -> list[Label[Any]]:
    waiting = (
        Placement.school_id == school,
        Placement.status == PlacementStatus.PLANNED,
        Placement.headteacher_decision == HeadteacherDecision.PENDING,
    )
    escalated = (Concern.school_id == school, Concern.status == "sent", Concern.escalated_at.is_not(None))
    return [
        select(func.count()).select_from(Placement).where(*waiting).scalar_subquery().label("decisions"),
        select(func.min(Placement.created_at)).where(*waiting).scalar_subquery().label("oldest_decision"),
        select(func.count()).select_from(Concern).where(*escalated).scalar_subquery().label("escalated"),
        select(func.min(Concern.escalated_at)).where(*escalated).scalar_subquery().label("oldest_escalated"),
    ]


# The headteacher's home is the page most often opened: there these counts are read in the principal's statement
# (school_admin/views/home.py rides them with it), one round trip for the whole request. Anywhere else they are read
# on their own: built once with a bound parameter (its compiled form is reused), on the autocommit connection.
HEADTEACHER_COUNTS = PrincipalRider("headteacher_counts", _headteacher_counts)
_HEADTEACHER_QUERY = HotRead(select(*_headteacher_counts(bindparam("school_id", type_=Uuid))))


def headteacher_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    """Decisions waiting for the headteacher, concerns escalated to them (a count), and the AP budget position."""
    row = ridden(HEADTEACHER_COUNTS, school_id)
    if row is None:
        (row,) = _HEADTEACHER_QUERY.rows(autocommit_connection(), {"school_id": school_id})
    tasks = _budget(school_id, local_now(now).date())
    if row.decisions:
        tasks.append(
            Task(
                "head.decisions",
                TODAY,
                f"{how_many(row.decisions, 'placement is', 'placements are')} waiting for your decision",
                Link.to("school_admin.placements"),
                aware(row.oldest_decision),
            )
        )
    if row.escalated:
        tasks.append(
            Task(
                "head.escalated",
                URGENT,
                how_many(row.escalated, "safeguarding concern has", "safeguarding concerns have")
                + " been escalated to you: not acknowledged by a DSL in time",
                Link.to("school_admin.concerns_queue"),
                aware(row.oldest_escalated),
            )
        )
    return tasks


def _budget(school_id: uuid.UUID, today: date) -> list[Task]:
    """Where the school stands against this school year's AP budget: missing, over, or for information."""
    summary = budget.position_summary(school_id, today)
    link = Link.to("school_admin.ap_budget")
    if summary.budget_pence is None:
        text = (
            f"No AP budget is recorded for the {summary.year_label} school year: enter the one the governors approved"
        )
        return [Task("head.budget", SOON, text, link)]
    committed, allowed = pounds(summary.committed_pence), pounds(summary.budget_pence)
    if summary.committed_pence > summary.budget_pence:
        over = pounds(summary.committed_pence - summary.budget_pence)
        text = f"Placements agreed for {summary.year_label} cost {committed}: {over} over the {allowed} AP budget"
        return [Task("head.budget", TODAY, text, link)]
    text = (
        f"AP budget {summary.year_label}: {committed} committed of {allowed}, "
        f"{pounds(summary.to_date_pence)} of it to date"
    )
    return [Task("head.budget", FOR_INFORMATION, text, link)]


SCHOOL_LISTS = {
    roles.DSL: dsl_tasks,
    roles.ATTENDANCE_LEAD: attendance_lead_tasks,
    roles.AP_LEAD: ap_lead_tasks,
    roles.SENDCO: sendco_tasks,
    roles.HEADTEACHER: headteacher_tasks,
}


def school_tasks(school_id: uuid.UUID, user_roles: Iterable[str], now: datetime | None = None) -> list[Task]:
    """The union of the lists of the person's roles, each thing once, most urgent first."""
    now = now or utcnow()
    held = set(user_roles)
    return ordered(task for role, build in SCHOOL_LISTS.items() if role in held for task in build(school_id, now))
