""" "Needs your attention": the home page's task list for each role, on both sides. Read-only.

A task says how many things wait, where to act, and how long the oldest has waited: never what they are about. A
safeguarding task is a count and a link, nothing of a concern's or notice's content and no pupil's name (the home
page is the first thing on the screen when someone signs in, often in a shared office).

Every list is a fixed number of set-based queries whatever the size of the school (issue 6: at most 20 for a list;
tests/test_attention.py counts them). The rules of what is due are the other services' (reviews.next_review_due,
the attendance "today" overview, the evidence catalogue), applied here to rows loaded in bulk.

"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Uuid, and_, bindparam, case, func, or_, select

from shared import roles
from shared.attendance_codes import MarkKind
from shared.auth.sessions import autocommit_connection
from shared.evidence_catalogue import BY_CODE, ProviderType
from shared.extensions import db
from shared.links import Link
from shared.models import (
    AttendanceMark,
    ComplianceBreach,
    Concern,
    DocumentStatus,
    EvidenceDocument,
    HeadteacherDecision,
    Incident,
    Notice,
    Placement,
    PlacementStatus,
    PolicyConfirmation,
    ProviderPolicyReview,
    ProviderProfile,
    ProviderStatus,
    Pupil,
    SchoolPolicy,
    SendStatus,
    SiteVisit,
)
from shared.models.base import utcnow
from shared.services.attendance import overview as attendance_overview
from shared.services.attendance.marks import COUNTING_STATUSES, local_now
from shared.services.placements.plans import FULL_TIME_HOURS, NOT_NEEDING_REGISTRATION, REGISTRATION_PUPIL_COUNT
from shared.services.placements.reviews import latest_reviews, next_review_due
from shared.services.reports import budget
from shared.services.safeguarding.policies import PROVIDER_POLICY_CODE

URGENT, TODAY, SOON, FOR_INFORMATION = 1, 2, 3, 4
URGENCY_TAGS = {
    URGENT: ("Urgent", "govuk-tag--red"),
    TODAY: ("Today", "govuk-tag--orange"),
    SOON: ("Soon", "govuk-tag--blue"),
    FOR_INFORMATION: ("For information", "govuk-tag--grey"),
}

# How far ahead each list looks (issue 6).
EVIDENCE_LAPSING_DAYS = 60
# The AP lead: reviews overdue or due within a week (shared.services.placements.reviews.DUE_SOON_DAYS).
REVIEW_DUE_DAYS = 7
PROVIDER_REVIEW_DAYS = 14  # the provider: reviews to attend in the next fortnight
REINTEGRATION_WEEKS = 4
# Every provider with pupils placed is visited at least once a half-term (about six weeks): the policy asks the AP
# lead to visit sites to review pupils' progress and sets no interval, so this is the school's choice (config).
VISIT_EVERY_DAYS = 42
UNDELIVERED_AFTER = timedelta(minutes=15)  # an absence alert's e-mail should have gone by then

# What someone can do when nothing needs them, by role (the first of their roles that has a line).
QUIET_LINES = {
    roles.DSL: "You can share a safeguarding notice with a provider or read the concerns you have dealt with.",
    roles.ATTENDANCE_LEAD: "You can look at today's attendance or the attendance percentages.",
    roles.AP_LEAD: "You can look at your providers, placements and reviews.",
    roles.SENDCO: "You can look at placements and their need-to-know summaries.",
    roles.HEADTEACHER: "You can look at placements, incidents and attendance.",
    roles.PROVIDER_MANAGER: "You can look at your pupils, your evidence and your staff list.",
    roles.PROVIDER_DSL: "You can look at the safeguarding notices and concerns you have dealt with.",
    roles.PROVIDER_STAFF: "You can take attendance or report an incident.",
}


@dataclass(frozen=True)
class Task:
    """One line of the list: how urgent, what waits (with a count), where to act, since when."""

    key: str  # what it counts, so a person with two roles sees it once
    urgency: int
    text: str
    link: Link  # where to act: the view makes it a URL
    oldest: datetime | None = None

    @property
    def tag(self) -> tuple[str, str]:
        return URGENCY_TAGS[self.urgency]

    def age(self, now: datetime) -> str | None:
        """How long the oldest has waited, in words ("oldest 3 hours")."""
        if self.oldest is None:
            return None
        minutes = max(0, int((now - self.oldest).total_seconds() // 60))
        if minutes < 1:
            return "just now"
        if minutes < 60:
            amount = (minutes, "minute")
        elif minutes < 48 * 60:
            amount = (minutes // 60, "hour")
        else:
            amount = (minutes // (24 * 60), "day")
        return f"oldest {amount[0]} {amount[1]}{'' if amount[0] == 1 else 's'}"


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"


def _is_are(n: int) -> str:
    return "is" if n == 1 else "are"


def ordered(tasks: Iterable[Task]) -> list[Task]:
    """Each thing once, most urgent first, then the longest waiting."""
    unique: dict[str, Task] = {}
    for task in tasks:
        unique.setdefault(task.key, task)
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(unique.values(), key=lambda t: (t.urgency, t.oldest or far_future, t.text))


def quiet_line(user_roles: Iterable[str]) -> str:
    held = set(user_roles)
    for role, line in QUIET_LINES.items():
        if role in held:
            return line
    return "You can use the menu to find what you need."


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
            concerns_text = _count(count, "safeguarding concern", "safeguarding concerns")
            text = f"{concerns_text} {_is_are(count)} waiting for acknowledgement"
            if escalated:
                text += f" ({escalated} escalated to the headteacher)"
            tasks.append(Task("dsl.concerns_to_acknowledge", URGENT, text, queue, oldest_sent))
        else:
            text = f"{_count(count, 'safeguarding concern', 'safeguarding concerns')} acknowledged but not closed"
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
            f"{_count(count, 'safeguarding notice', 'safeguarding notices')} "
            f"{_is_are(count)} not acknowledged by the provider yet"
        )
        if chased:
            text += f" ({chased} already chased)"
        tasks.append(
            Task("dsl.notices", URGENT if chased else TODAY, text, Link.to("school_admin.notices_list"), oldest)
        )

    tasks += _provider_policies_to_review(school_id)
    return tasks


def _provider_policies_to_review(school_id: uuid.UUID) -> list[Task]:
    """Providers whose current child-protection policy no DSL has reviewed since it was uploaded."""
    documents = db.session.execute(
        select(EvidenceDocument.organisation_id, EvidenceDocument.version, EvidenceDocument.uploaded_at)
        .join(ProviderProfile, ProviderProfile.organisation_id == EvidenceDocument.organisation_id)
        .where(
            ProviderProfile.school_id == school_id,
            EvidenceDocument.evidence_type == PROVIDER_POLICY_CODE,
            EvidenceDocument.status != DocumentStatus.SUPERSEDED,
        )
    ).all()
    current: dict[uuid.UUID, tuple] = {}
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
        ).all()
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
                f"{_count(today.missing, 'session', 'sessions')} today {_is_are(today.missing)} still not marked "
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
                f"{_count(unexplained, 'absence', 'absences')} today with no reason given",
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
                f"{_count(len(undelivered), 'absence alert', 'absence alerts')} today "
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
                f"{_count(count, 'earlier absence', 'earlier absences')} still coded N, waiting for the school's "
                "decision",
                page,
                datetime.combine(oldest_day, datetime.min.time(), tzinfo=UTC) if oldest_day else None,
            )
        )
    return tasks


def ap_lead_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    tasks = []
    today = local_now(now).date()
    profiles = db.session.execute(
        select(ProviderProfile.organisation_id, ProviderProfile.status, ProviderProfile.provider_type).where(
            ProviderProfile.school_id == school_id
        )
    ).all()
    provider_ids = [p.organisation_id for p in profiles]
    documents = (
        db.session.execute(
            select(
                EvidenceDocument.organisation_id,
                EvidenceDocument.evidence_type,
                EvidenceDocument.version,
                EvidenceDocument.status,
                EvidenceDocument.expiry_date,
                EvidenceDocument.uploaded_at,
            ).where(
                EvidenceDocument.organisation_id.in_(provider_ids),
                EvidenceDocument.status != DocumentStatus.SUPERSEDED,
            )
        ).all()
        if provider_ids
        else []
    )
    current: dict[tuple, tuple] = {}
    for row in documents:
        key = (row.organisation_id, row.evidence_type)
        if key not in current or row.version > current[key].version:
            current[key] = row

    to_verify = [row for row in current.values() if row.status == DocumentStatus.AWAITING_REVIEW]
    if to_verify:
        tasks.append(
            Task(
                "ap.verify",
                TODAY,
                f"{_count(len(to_verify), 'piece of evidence is', 'pieces of evidence are')} waiting for you to check",
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
                f"{_count(len(submitted), 'organisation is', 'organisations are')} waiting for your approval decision",
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
            row = current.get((profile.organisation_id, evidence.code))
            lapsed = row is not None and row.expiry_date is not None and row.expiry_date <= today
            if row is None or row.status != DocumentStatus.VERIFIED or lapsed:
                at_risk.add(profile.organisation_id)
            elif row.expiry_date is not None and row.expiry_date <= horizon:
                lapsing += 1
    if at_risk:
        tasks.append(
            Task(
                "ap.at_risk",
                URGENT,
                f"{_count(len(at_risk), 'approved organisation is', 'approved organisations are')} at risk: required "
                "evidence is out of date or missing",
                Link.to("school_admin.providers"),
            )
        )
    if lapsing:
        tasks.append(
            Task(
                "ap.lapsing",
                SOON,
                f"{_count(lapsing, 'piece of evidence runs', 'pieces of evidence run')} out within "
                f"{EVIDENCE_LAPSING_DAYS} days",
                Link.to("school_admin.providers"),
            )
        )

    tasks += _reviews_due(school_id, today)
    tasks += _incidents(school_id)
    tasks += _registration_warnings(school_id)
    tasks += _breaches(school_id)
    tasks += _visits_due(school_id, today)
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
            f"{_count(count, 'breach', 'breaches')} of a service level agreement "
            f"{'needs' if count == 1 else 'need'} you to record what you did",
            Link.to("school_admin.compliance_breaches_list"),
            _aware(oldest),
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
            f"{_count(len(due), 'provider with pupils placed has', 'providers with pupils placed have')} not had a "
            f"visit from the school in the last {every.days // 7} weeks",
            Link.to("school_admin.visits_list"),
            datetime.combine(min(due), datetime.min.time(), tzinfo=UTC),
        )
    ]


def _reviews_due(school_id: uuid.UUID, today: date) -> list[Task]:
    """Running placements whose review is overdue or due within a week (reviews.next_review_due on bulk rows)."""
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.school_id == school_id, Placement.status == PlacementStatus.ACTIVE)
        )
    )
    latest = latest_reviews([p.id for p in placements])
    overdue = due = 0
    oldest = None
    for placement in placements:
        due_on = next_review_due(placement, latest.get(placement.id))
        if due_on is None:
            continue
        if due_on < today:
            overdue += 1
            oldest = min(oldest or due_on, due_on)
        elif due_on <= today + timedelta(days=REVIEW_DUE_DAYS):
            due += 1
    tasks = []
    link = Link.to("school_admin.reviews_list")
    if overdue:
        tasks.append(
            Task(
                "ap.reviews_overdue",
                TODAY,
                f"{_count(overdue, 'placement review is', 'placement reviews are')} overdue",
                link,
                datetime.combine(oldest, datetime.min.time(), tzinfo=UTC),
            )
        )
    if due:
        tasks.append(
            Task(
                "ap.reviews_due",
                SOON,
                f"{_count(due, 'placement review is', 'placement reviews are')} due within {REVIEW_DUE_DAYS} days",
                link,
            )
        )
    return tasks


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
                f"{_count(len(unacknowledged), 'incident', 'incidents')} "
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
                f"{_count(len(serious), 'serious incident needs', 'serious incidents need')} a course of action",
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
        .join(Placement, Placement.provider_id == ProviderProfile.organisation_id)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            ProviderProfile.school_id == school_id,
            ProviderProfile.status == ProviderStatus.APPROVED,
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
            f"{_count(len(warned), 'organisation', 'organisations')} would need to register as an independent school "
            "with the placements planned",
            Link.to("school_admin.providers"),
        )
    ]


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
                f"{_count(no_summary, 'placement has', 'placements have')} no need-to-know summary for the provider",
                link,
            )
        )
    if reintegration:
        tasks.append(
            Task(
                "sendco.reintegration",
                SOON,
                f"{_count(reintegration, 'placement reaches', 'placements reach')} its latest end date within "
                f"{REINTEGRATION_WEEKS} weeks: review the reintegration plan",
                link,
            )
        )
    return tasks


_SCHOOL = bindparam("school_id", type_=Uuid)
_WAITING = (
    Placement.school_id == _SCHOOL,
    Placement.status == PlacementStatus.PLANNED,
    Placement.headteacher_decision == HeadteacherDecision.PENDING,
)
_ESCALATED = (Concern.school_id == _SCHOOL, Concern.status == "sent", Concern.escalated_at.is_not(None))
# Built once with a bound parameter (its compiled form is reused) and run on an autocommit connection, like the
# signed-in principal: the headteacher's home is the page most often opened, and this keeps it one round trip.
_HEADTEACHER_QUERY = select(
    select(func.count()).where(*_WAITING).scalar_subquery().label("decisions"),
    select(func.min(Placement.created_at)).where(*_WAITING).scalar_subquery().label("oldest_decision"),
    select(func.count()).select_from(Concern).where(*_ESCALATED).scalar_subquery().label("escalated"),
    select(func.min(Concern.escalated_at)).where(*_ESCALATED).scalar_subquery().label("oldest_escalated"),
)


def headteacher_tasks(school_id: uuid.UUID, now: datetime) -> list[Task]:
    """Decisions waiting for the headteacher, concerns escalated to them (a count), and the AP budget position."""
    row = autocommit_connection().execute(_HEADTEACHER_QUERY, {"school_id": school_id}).one()
    tasks = _budget(school_id, local_now(now).date())
    if row.decisions:
        tasks.append(
            Task(
                "head.decisions",
                TODAY,
                f"{_count(row.decisions, 'placement is', 'placements are')} waiting for your decision",
                Link.to("school_admin.placements"),
                _aware(row.oldest_decision),
            )
        )
    if row.escalated:
        tasks.append(
            Task(
                "head.escalated",
                URGENT,
                f"{_count(row.escalated, 'safeguarding concern has', 'safeguarding concerns have')} been escalated to "
                "you: not acknowledged by a DSL in time",
                Link.to("school_admin.concerns_queue"),
                _aware(row.oldest_escalated),
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
    committed, allowed = budget.pounds(summary.committed_pence), budget.pounds(summary.budget_pence)
    if summary.committed_pence > summary.budget_pence:
        over = budget.pounds(summary.committed_pence - summary.budget_pence)
        text = f"Placements agreed for {summary.year_label} cost {committed}: {over} over the {allowed} AP budget"
        return [Task("head.budget", TODAY, text, link)]
    text = (
        f"AP budget {summary.year_label}: {committed} committed of {allowed}, "
        f"{budget.pounds(summary.to_date_pence)} of it to date"
    )
    return [Task("head.budget", FOR_INFORMATION, text, link)]


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp from a scalar subquery comes back without UTCDateTime's processing (naive on SQLite)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    school_ids = {p.school_id for p in placements}
    # One school per provider today; the calendar check is per school, so this stays a fixed number of queries.
    school_days = {school_id: _is_school_day(school_id, day) for school_id in school_ids}
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
    text = f"{_count(due, 'attendance mark is', 'attendance marks are')} due today"
    if overdue:
        text += f" ({overdue} past the time agreed with the school)"
    return [Task("provider.marks", URGENT if overdue else TODAY, text, Link.to("portal.attendance_today"))]


def _is_school_day(school_id: uuid.UUID, day: date) -> bool:
    from shared.services.school_calendar.days import school_days

    return any(True for _ in school_days(school_id, day, day))


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
            f"{_count(count, 'incident you reported is', 'incidents you reported are')} waiting for the school "
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
    current: dict[str, tuple] = {}
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
    urgent = any(row.status != DocumentStatus.VERIFIED or row.expiry_date <= today for row in renew)
    return [
        Task(
            "provider.evidence",
            URGENT if urgent else SOON,
            f"{_count(len(renew), 'piece of evidence', 'pieces of evidence')} to renew: rejected, out of date or "
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
                f"{_count(count, 'safeguarding notice from the school is', 'safeguarding notices from the school are')}"
                " waiting for you to acknowledge",
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
                _count(count, "safeguarding concern from your staff is", "safeguarding concerns from your staff are")
                + " waiting to be sent to the school",
                Link.to("portal.concerns_list"),
                oldest,
            )
        )
    school_id = select(ProviderProfile.school_id).where(ProviderProfile.organisation_id == provider_id)
    latest = db.session.execute(
        select(SchoolPolicy.id, SchoolPolicy.version, PolicyConfirmation.id)
        .outerjoin(
            PolicyConfirmation,
            and_(PolicyConfirmation.policy_id == SchoolPolicy.id, PolicyConfirmation.provider_id == provider_id),
        )
        .where(SchoolPolicy.school_id.in_(school_id))
        .order_by(SchoolPolicy.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest[2] is None:
        tasks.append(
            Task(
                "provider.school_policy",
                TODAY,
                f"The school's child protection policy (version {latest.version}) is waiting for you to confirm",
                Link.to("portal.school_policy"),
            )
        )
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
            f"{_count(count, 'placement review is', 'placement reviews are')} due in the next "
            f"{PROVIDER_REVIEW_DAYS} days: the school will ask you to attend",
            Link.to("portal.pupils"),
        )
    ]


PROVIDER_LISTS = {
    roles.PROVIDER_MANAGER: (
        marks_due_tasks,
        incidents_waiting_tasks,
        evidence_to_renew_tasks,
        reviews_to_attend_tasks,
    ),
    roles.PROVIDER_DSL: (marks_due_tasks, incidents_waiting_tasks, provider_dsl_tasks, reviews_to_attend_tasks),
    roles.PROVIDER_STAFF: (marks_due_tasks, incidents_waiting_tasks),
}


def provider_tasks(provider_id: uuid.UUID, user_roles: Iterable[str], now: datetime | None = None) -> list[Task]:
    now = now or utcnow()
    builds = []
    for role in set(user_roles):
        for build in PROVIDER_LISTS.get(role, ()):
            if build not in builds:
                builds.append(build)
    return ordered(task for build in builds for task in build(provider_id, now))
