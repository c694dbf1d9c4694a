"""Annual re-approval (issue 15): a provider the school approved 11 months ago or more (by the school's latest
ApprovalDecision of "approved") is due re-approval. The AP lead sees what changed since that approval and re-approves
with notes: a new ApprovalDecision with the checklist as it stands, the provider staying approved.

What changed is counted for the school's own relationship: new evidence versions, staff added or removed, this
school's incidents at the provider, its agreements changed or signed copies uploaded, breaches raised. Concerns are
a count, and only for a DSL (only DSLs may learn that concerns exist: providers.lists.SAFEGUARDING_EVENTS).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, or_, select

from shared import audit
from shared.clock import local_now, school_midnight
from shared.evidence_catalogue import BY_CODE
from shared.extensions import db
from shared.models import (
    AgreementDocument,
    ApprovalDecision,
    ComplianceBreach,
    Concern,
    EvidenceDocument,
    Incident,
    Organisation,
    ProviderStatus,
    SchoolProvider,
    ServiceAgreement,
    StaffMember,
    User,
)
from shared.services.attention.tasks import aware
from shared.services.errors import RuleBroken
from shared.services.providers.approval import approval_checklist

DUE_AFTER_MONTHS = 11


def due_since(today: date) -> date:
    """Approved on or before this day: due re-approval on `today` (11 months earlier, the day clamped to the month)."""
    month = today.month - DUE_AFTER_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


@dataclass(frozen=True)
class Due:
    provider_id: uuid.UUID
    name: str
    approved_at: datetime


def _latest_approvals(school_id: uuid.UUID) -> Subquery:
    return (
        select(ApprovalDecision.organisation_id, func.max(ApprovalDecision.decided_at).label("approved_at"))
        .where(ApprovalDecision.school_id == school_id, ApprovalDecision.decision == "approved")
        .group_by(ApprovalDecision.organisation_id)
        .subquery()
    )


def due_reapproval(school_id: uuid.UUID, now: datetime) -> list[Due]:
    """The school's approved providers due re-approval, longest since approval first. One query."""
    latest = _latest_approvals(school_id)
    cutoff = school_midnight(due_since(local_now(now).date()) + timedelta(days=1))
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, latest.c.approved_at)
        .join(latest, latest.c.organisation_id == Organisation.id)
        .join(SchoolProvider, SchoolProvider.provider_id == Organisation.id)
        .where(
            SchoolProvider.school_id == school_id,
            SchoolProvider.status == ProviderStatus.APPROVED,
            latest.c.approved_at < cutoff,
        )
    ).all()
    due = [Due(provider_id, name, _when(approved_at)) for provider_id, name, approved_at in rows]
    return sorted(due, key=lambda d: d.approved_at)


def _when(value: datetime | str) -> datetime:
    moment = aware(value)
    assert moment is not None, "an approval has a time"
    return moment


def last_approval(link: SchoolProvider) -> ApprovalDecision | None:
    return db.session.scalar(
        select(ApprovalDecision)
        .where(
            ApprovalDecision.organisation_id == link.provider_id,
            ApprovalDecision.school_id == link.school_id,
            ApprovalDecision.decision == "approved",
        )
        .order_by(ApprovalDecision.decided_at.desc())
        .limit(1)
    )


def is_due(link: SchoolProvider, now: datetime) -> bool:
    approval = last_approval(link)
    if link.status != ProviderStatus.APPROVED or approval is None:
        return False
    return local_now(approval.decided_at).date() <= due_since(local_now(now).date())


@dataclass(frozen=True)
class Changes:
    since: datetime
    evidence: list[str]  # "Public liability insurance (version 2)"
    staff_added: int
    staff_removed: int
    incidents: int
    concerns: int | None  # None: not for this person to know
    agreements_changed: int
    signed_copies: int
    breaches: int

    @property
    def nothing(self) -> bool:
        counts = (self.staff_added, self.staff_removed, self.incidents, self.concerns or 0, self.agreements_changed)
        return not self.evidence and not any(counts) and not self.signed_copies and not self.breaches


def changes_since(link: SchoolProvider, since: datetime, *, with_concerns: bool) -> Changes:
    provider_id, school_id = link.provider_id, link.school_id
    documents = db.session.execute(
        select(EvidenceDocument.evidence_type, EvidenceDocument.version)
        .where(EvidenceDocument.organisation_id == provider_id, EvidenceDocument.uploaded_at > since)
        .order_by(EvidenceDocument.uploaded_at)
    ).all()
    evidence = [
        f"{BY_CODE[code].name if code in BY_CODE else code.replace('_', ' ')} (version {version})"
        for code, version in documents
    ]
    added, removed = db.session.execute(
        select(
            func.count().filter(StaffMember.created_at > since),
            func.count().filter(StaffMember.removed_at > since),
        ).where(
            StaffMember.organisation_id == provider_id,
            or_(StaffMember.created_at > since, StaffMember.removed_at > since),
        )
    ).one()

    def count(model: Any, *where: ColumnElement[bool]) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    ours = (school_id, provider_id)
    return Changes(
        since=since,
        evidence=evidence,
        staff_added=added,
        staff_removed=removed,
        incidents=count(Incident, *_of(Incident, *ours), Incident.occurred_at > since),
        concerns=count(Concern, *_of(Concern, *ours), Concern.sent_at > since) if with_concerns else None,
        agreements_changed=count(ServiceAgreement, *_of(ServiceAgreement, *ours), ServiceAgreement.updated_at > since),
        signed_copies=count(AgreementDocument, *_of(AgreementDocument, *ours), AgreementDocument.uploaded_at > since),
        breaches=count(ComplianceBreach, *_of(ComplianceBreach, *ours), ComplianceBreach.raised_at > since),
    )


def _of(model: Any, school_id: uuid.UUID, provider_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    return (model.school_id == school_id, model.provider_id == provider_id)


def reapprove(link: SchoolProvider, *, notes: str, by: User) -> ApprovalDecision:
    """Re-approve an approved provider: the checklist as it stands must be done, and notes written. Recorded as an
    ApprovalDecision of "approved" with the checklist snapshot, audited; the provider stays approved."""
    if link.status != ProviderStatus.APPROVED:
        raise RuleBroken("Only an approved provider can be re-approved")
    checklist = approval_checklist(link)
    if not all(item.done for item in checklist):
        raise RuleBroken("Every item on the checklist must be done before re-approval", "notes")
    if not notes.strip():
        raise RuleBroken("Write notes for the record: what you looked at and why you are re-approving", "notes")
    decision = ApprovalDecision(
        organisation_id=link.provider_id,
        school_id=link.school_id,
        decision="approved",
        notes=notes.strip(),
        checklist=[asdict(item) for item in checklist],
        decided_by_id=by.id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record("provider.decision", organisation=link.school, obj=decision, actor=by, decision="reapproved")
    db.session.commit()
    return decision
