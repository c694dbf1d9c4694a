"""The life of an evidence document, in one place:

    uploaded -> awaiting_review -> verified | rejected;  verified -> expired;  any -> superseded (by a newer version)

Every transition is checked here, audited with who and why, and anything else is refused. Who may verify is the
evidence catalogue's business (a child protection policy only by a school DSL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from shared import audit
from shared.clock import today as school_today
from shared.evidence_catalogue import BY_CODE, DateKind
from shared.extensions import db
from shared.models import DocumentStatus, EvidenceDocument, Organisation, ProviderProfile, User, utcnow
from shared.roles import ROLE_LABELS
from shared.services.errors import RuleBroken

S = DocumentStatus
ALLOWED: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    S.UPLOADED: frozenset({S.AWAITING_REVIEW, S.SUPERSEDED}),
    S.AWAITING_REVIEW: frozenset({S.VERIFIED, S.REJECTED, S.SUPERSEDED}),
    S.VERIFIED: frozenset({S.EXPIRED, S.SUPERSEDED}),
    S.REJECTED: frozenset({S.SUPERSEDED}),
    S.EXPIRED: frozenset({S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}


class IllegalTransition(RuleBroken):
    pass


def transition(document: EvidenceDocument, to: DocumentStatus, *, by: User | None, why: str) -> None:
    """Move a document to a new state, or refuse. Adds the audit event; the caller commits."""
    if to not in ALLOWED[document.status]:
        raise IllegalTransition(
            f"A document that is {document.status.value.replace('_', ' ')} cannot become {to.value.replace('_', ' ')}"
        )
    old = document.status
    document.status = to
    organisation = db.session.get(Organisation, document.organisation_id)
    audit.record(
        "evidence.transition", organisation=organisation, obj=document, actor=by, old=old.value, new=to.value, why=why
    )


def next_version(organisation_id: uuid.UUID, evidence_type: str) -> int:
    current = db.session.scalar(
        select(func.max(EvidenceDocument.version)).where(
            EvidenceDocument.organisation_id == organisation_id, EvidenceDocument.evidence_type == evidence_type
        )
    )
    return (current or 0) + 1


def supersede_older_versions(document: EvidenceDocument, *, by: User | None) -> None:
    """A new upload of a type replaces every earlier version of it that is still in play."""
    older = db.session.scalars(
        select(EvidenceDocument).where(
            EvidenceDocument.organisation_id == document.organisation_id,
            EvidenceDocument.evidence_type == document.evidence_type,
            EvidenceDocument.id != document.id,
            EvidenceDocument.status != S.SUPERSEDED,
        )
    )
    for previous in older:
        transition(previous, S.SUPERSEDED, by=by, why=f"replaced by version {document.version}")


@dataclass
class Verification:
    checklist: dict[str, bool]
    issue_date: date | None = None
    expiry_date: date | None = None
    review_date: date | None = None


def lapse_date(document: EvidenceDocument, verification: Verification) -> date | None:
    """When verified evidence stops being good, by its type's rule (expiry printed on it, a review interval, or a
    validity period from the issue date)."""
    kind = BY_CODE[document.evidence_type]
    if kind.date_kind == DateKind.EXPIRY:
        return verification.expiry_date
    if kind.date_kind == DateKind.REVIEW:
        return verification.review_date + relativedelta(months=kind.months) if verification.review_date else None
    if kind.date_kind == DateKind.VALID_FOR:
        return verification.issue_date + relativedelta(months=kind.months) if verification.issue_date else None
    return None


def verify(
    document: EvidenceDocument,
    verification: Verification,
    *,
    by: User,
    roles: frozenset[str],
    today: date | None = None,
) -> None:
    today = today or school_today()
    kind = BY_CODE[document.evidence_type]
    if not roles & kind.verifier_roles:
        who = " or ".join(ROLE_LABELS[r].split(" (")[0] for r in sorted(kind.verifier_roles))
        raise RuleBroken(f"Only the {who} can verify the {kind.name.lower()}")
    missing = [item for item in kind.checklist if not verification.checklist.get(item)]
    if missing:
        raise RuleBroken(f"Work through the checklist before verifying: {missing[0]}", "checklist")
    if kind.date_kind == DateKind.EXPIRY and verification.expiry_date is None:
        raise RuleBroken("Enter the expiry date shown on the document", "expiry_date")
    if kind.date_kind == DateKind.REVIEW and verification.review_date is None:
        raise RuleBroken("Enter the date the document was last reviewed", "review_date")
    if kind.date_kind == DateKind.VALID_FOR and verification.issue_date is None:
        raise RuleBroken("Enter the date on the certificate", "issue_date")
    ends = lapse_date(document, verification)
    if ends is not None and ends <= today:
        raise RuleBroken("This document is already out of date: reject it and ask for a current one", "expiry_date")
    document.checklist = verification.checklist
    document.issue_date = verification.issue_date
    document.expiry_date = ends
    document.review_date = verification.review_date
    document.reviewed_by_id, document.reviewed_at = by.id, utcnow()
    transition(document, S.VERIFIED, by=by, why="checklist complete")
    db.session.commit()


def reject(document: EvidenceDocument, reason: str, *, by: User) -> None:
    if not reason.strip():
        raise RuleBroken("Say why the document is rejected: the provider will see this", "reason")
    document.rejection_reason = reason.strip()
    document.reviewed_by_id, document.reviewed_at = by.id, utcnow()
    transition(document, S.REJECTED, by=by, why="rejected by reviewer")
    db.session.commit()


def expire_lapsed(today: date | None = None) -> list[EvidenceDocument]:
    """Verified evidence past its date becomes expired. Returns the documents that lapsed."""
    today = today or school_today()
    lapsed = db.session.scalars(
        select(EvidenceDocument).where(EvidenceDocument.status == S.VERIFIED, EvidenceDocument.expiry_date <= today)
    ).all()
    for document in lapsed:
        transition(document, S.EXPIRED, by=None, why="passed its expiry or review date")
    db.session.commit()
    return list(lapsed)


# --- reading -------------------------------------------------------------------------------------------------------


def awaiting_review(
    provider_ids: Iterable[uuid.UUID], *, provider_id: uuid.UUID | None = None, evidence_type: str | None = None
) -> list[EvidenceDocument]:
    """The verification queue: these providers' documents awaiting review, oldest first, narrowed to one provider
    and one evidence type when given."""
    query = (
        select(EvidenceDocument)
        .where(
            EvidenceDocument.organisation_id.in_(provider_ids),
            EvidenceDocument.status == DocumentStatus.AWAITING_REVIEW,
        )
        .order_by(EvidenceDocument.uploaded_at)
    )
    if provider_id is not None:
        query = query.where(EvidenceDocument.organisation_id == provider_id)
    if evidence_type is not None:
        query = query.where(EvidenceDocument.evidence_type == evidence_type)
    return list(db.session.scalars(query))


def document_of_school_provider(school_id: uuid.UUID, document_id: uuid.UUID) -> EvidenceDocument | None:
    """A document of one of the school's providers; any other is None, like one that does not exist."""
    return db.session.scalar(
        select(EvidenceDocument)
        .join(ProviderProfile, ProviderProfile.organisation_id == EvidenceDocument.organisation_id)
        .where(EvidenceDocument.id == document_id, ProviderProfile.school_id == school_id)
    )
