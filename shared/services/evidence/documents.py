"""The life of an evidence document, in one place:

    uploaded -> awaiting_review -> verified | rejected;  verified -> expired;  any -> superseded (by a newer version)
    verified -> awaiting_review (reopened by the school, with a reason)

Every transition is checked here, audited with who and why, recorded in the version's history (EvidenceEvent: what
the school reads on the evidence history page), and anything else is refused. Who may verify is the
evidence catalogue's business (a child protection policy only by a school DSL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from shared import audit
from shared.clock import today as school_today
from shared.evidence_catalogue import BY_CODE, DateKind, verifiable_by
from shared.extensions import db
from shared.links import Link
from shared.models import (
    DocumentStatus,
    EvidenceDocument,
    EvidenceEvent,
    EvidenceVerification,
    Organisation,
    SchoolProvider,
    User,
    utcnow,
)
from shared.notifications import tell_role
from shared.roles import AP_LEAD, DSL, PROVIDER_MANAGER, ROLE_LABELS
from shared.services.errors import RuleBroken
from shared.services.evidence import reliance

S = DocumentStatus
ALLOWED: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    S.UPLOADED: frozenset({S.AWAITING_REVIEW, S.SUPERSEDED}),
    S.AWAITING_REVIEW: frozenset({S.VERIFIED, S.REJECTED, S.SUPERSEDED}),
    S.VERIFIED: frozenset({S.EXPIRED, S.SUPERSEDED, S.AWAITING_REVIEW}),
    S.REJECTED: frozenset({S.SUPERSEDED}),
    S.EXPIRED: frozenset({S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}


class IllegalTransition(RuleBroken):
    pass


# What the history calls each transition (by where it goes, and for awaiting review where it came from).
ACTIONS = {
    S.VERIFIED: "verified",
    S.REJECTED: "rejected",
    S.EXPIRED: "expired",
    S.SUPERSEDED: "superseded",
}
ACTION_LABELS = {
    "uploaded": "Uploaded",
    "verified": "Verified",
    "rejected": "Rejected",
    "reopened": "Reopened",
    "expired": "Expired",
    "superseded": "Replaced by a newer version",
}


def transition(
    document: EvidenceDocument, to: DocumentStatus, *, by: User | None, why: str, reason: str | None = None
) -> None:
    """Move a document to a new state, or refuse. Adds the audit event and the history's line (with `reason`, a
    person's words, for a rejection or a reopening); the caller commits."""
    if to not in ALLOWED[document.status]:
        raise IllegalTransition(
            f"A document that is {document.status.value.replace('_', ' ')} cannot become {to.value.replace('_', ' ')}"
        )
    old = document.status
    document.status = to
    action = ACTIONS.get(to) or ("reopened" if old == S.VERIFIED else "uploaded")
    db.session.add(
        EvidenceEvent(
            document=document,
            sequence=len(document.events),
            happened_at=utcnow(),
            action=action,
            actor_id=by.id if by is not None else None,
            reason=reason,
        )
    )
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
    organisation = _deciding_organisation(by)
    reliance.record_decision(
        document,
        organisation,
        EvidenceVerification.VERIFIED,
        by=by,
        checklist=verification.checklist,
        issue_date=verification.issue_date,
        expiry_date=ends,
        review_date=verification.review_date,
    )
    if document.status in (S.VERIFIED, S.REJECTED):
        # Another organisation decided first: this one records its own verification; theirs stays as it was.
        _note(document, "verified", by=by, organisation=organisation)
        db.session.commit()
        return
    document.checklist = verification.checklist
    document.issue_date = verification.issue_date
    document.expiry_date = ends
    document.review_date = verification.review_date
    _record_reviewer(document, by)
    transition(document, S.VERIFIED, by=by, why="checklist complete")
    db.session.commit()


def _deciding_organisation(by: User) -> Organisation:
    organisation = by.organisation
    if organisation is None:
        raise RuleBroken("Only someone of a school or a local authority can verify or reject evidence")
    return organisation


def _note(
    document: EvidenceDocument, action: str, *, by: User, organisation: Organisation, reason: str | None = None
) -> None:
    """One organisation's decision on a version another organisation had already decided: the history's line and the
    audit event, without changing the version's status (which every school sees)."""
    db.session.add(
        EvidenceEvent(
            document=document,
            sequence=len(document.events),
            happened_at=utcnow(),
            action=action,
            actor_id=by.id,
            reason=reason,
        )
    )
    audit.record(
        "evidence.decided_for_organisation",
        organisation=organisation,
        obj=document,
        actor=by,
        decision=action,
        status=document.status.value,
    )


def _record_reviewer(document: EvidenceDocument, by: User) -> None:
    """Who reviewed this version and for which organisation (a school or a local authority): other schools may
    rely on that organisation's verification."""
    document.reviewed_by_id, document.reviewed_at = by.id, utcnow()
    organisation = by.organisation
    document.reviewed_by_organisation_id = organisation.id if organisation is not None else None


def reject(document: EvidenceDocument, reason: str, *, by: User) -> None:
    """The reviewer's organisation rejects the version. A version no one has verified becomes rejected (the
    provider sees the reason); one already verified by another organisation stays verified for the schools that
    rely on it, and the rejection counts only for this organisation (the provider is told who rejected it)."""
    if not reason.strip():
        raise RuleBroken("Say why the document is rejected: the provider will see this", "reason")
    reason = reason.strip()
    organisation = _deciding_organisation(by)
    if document.status in (S.VERIFIED, S.REJECTED):
        reliance.record_decision(document, organisation, EvidenceVerification.REJECTED, by=by, reason=reason)
        _note(document, "rejected", by=by, organisation=organisation, reason=reason)
    else:
        document.rejection_reason = reason
        _record_reviewer(document, by)
        transition(document, S.REJECTED, by=by, why="rejected by reviewer", reason=reason)
        reliance.record_decision(document, organisation, EvidenceVerification.REJECTED, by=by, reason=reason)
    _tell_provider_of_rejection(document, organisation, reason)
    db.session.commit()


def _tell_provider_of_rejection(document: EvidenceDocument, organisation: Organisation, reason: str) -> None:
    """A provider working with more than one school is told which one rejected a document (its pages show the
    reason; with one school it is plain whose it is)."""
    schools = db.session.scalar(
        select(func.count()).select_from(SchoolProvider).where(SchoolProvider.provider_id == document.organisation_id)
    )
    if (schools or 0) < 2:
        return
    provider = db.session.get(Organisation, document.organisation_id)
    assert provider is not None, "a foreign key"
    name = BY_CODE[document.evidence_type].name.lower()
    tell_role(
        provider,
        PROVIDER_MANAGER,
        text=f"{organisation.name} rejected your {name} (version {document.version}): {reason}",
        link=Link.to("portal.documents"),
        subject=f"AP Portal: {organisation.name} rejected your {name}",
    )


# Who may reopen a verified document: the AP lead any (reopening only ever takes trust away, so the AP lead may put
# even the child protection policy back in front of the DSL), and anyone who may verify its type.
REOPENERS = frozenset({AP_LEAD})
REASON_MAX = 2000


def may_reopen(document: EvidenceDocument, roles: frozenset[str]) -> bool:
    return document.status == S.VERIFIED and bool(roles & (REOPENERS | BY_CODE[document.evidence_type].verifier_roles))


def reopen(document: EvidenceDocument, reason: str, *, by: User, roles: frozenset[str]) -> None:
    """The school no longer trusts a verified document: it goes back to awaiting review (in the verifier's queue),
    and the provider counts as at risk until it is verified again. The reason is kept in the history. When other
    organisations verified it too, only the reopening school's trust is withdrawn (it waits in that school's queue);
    theirs stands."""
    kind = BY_CODE[document.evidence_type]
    if not roles & (REOPENERS | kind.verifier_roles):
        raise RuleBroken(f"Only the AP lead or whoever may verify the {kind.name.lower()} can reopen it")
    if document.status != S.VERIFIED:
        raise RuleBroken("Only a verified document can be reopened", "reason")
    reason = (reason or "").strip()
    if not reason:
        raise RuleBroken("Say why you are reopening it", "reason")
    if len(reason) > REASON_MAX:
        raise RuleBroken(f"Keep the reason to {REASON_MAX} characters or fewer", "reason")
    organisation = by.organisation
    others = [
        d
        for d in document.verifications
        if d.decision == EvidenceVerification.VERIFIED
        and (organisation is None or d.organisation_id != organisation.id)
    ]
    if others and organisation is not None:
        # Other organisations' verifications stand for the schools relying on them: this school alone withdraws its
        # trust, and the version waits for its own check again.
        reliance.record_decision(document, organisation, EvidenceVerification.REOPENED, by=by, reason=reason)
        _note(document, "reopened", by=by, organisation=organisation, reason=reason)
        db.session.commit()
        return
    transition(document, S.AWAITING_REVIEW, by=by, why="reopened by reviewer", reason=reason)
    # The only verification is withdrawn (rejections stand): it waits to be checked again by everyone.
    for decision in list(document.verifications):
        if decision.decision != EvidenceVerification.REJECTED:
            document.verifications.remove(decision)
            db.session.delete(decision)
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


def queue_types(reviewer_roles: frozenset[str]) -> frozenset[str]:
    """The evidence types in someone's verification queue. A DSL sees every type: they verify the ones a DSL may
    and may reject any document that worries them (a rejection only takes trust away). Anyone else sees only the
    types they may verify: the child protection policy, which only a DSL may verify, is not the AP lead's work."""
    if DSL in reviewer_roles:
        return frozenset(BY_CODE)
    return verifiable_by(reviewer_roles)


def awaiting_review(
    provider_ids: Iterable[uuid.UUID],
    *,
    reviewer_roles: frozenset[str],
    provider_id: uuid.UUID | None = None,
    evidence_type: str | None = None,
) -> list[EvidenceDocument]:
    """The verification queue: these providers' documents awaiting review of the types in `reviewer_roles`'s queue
    (queue_types), oldest first, narrowed to one provider and one evidence type when given."""
    query = (
        select(EvidenceDocument)
        .where(
            EvidenceDocument.organisation_id.in_(provider_ids),
            EvidenceDocument.status == DocumentStatus.AWAITING_REVIEW,
            EvidenceDocument.evidence_type.in_(sorted(queue_types(reviewer_roles))),
        )
        .order_by(EvidenceDocument.uploaded_at)
    )
    if provider_id is not None:
        query = query.where(EvidenceDocument.organisation_id == provider_id)
    if evidence_type is not None:
        query = query.where(EvidenceDocument.evidence_type == evidence_type)
    return list(db.session.scalars(query))


def queue_of_school(
    school: Organisation,
    provider_ids: Iterable[uuid.UUID],
    *,
    reviewer_roles: frozenset[str],
    provider_id: uuid.UUID | None = None,
    evidence_type: str | None = None,
    today: date | None = None,
    only_types: Iterable[str] | None = None,
) -> list[EvidenceDocument]:
    """`school`'s verification queue: what awaits anyone's review, and what was decided only by organisations the
    school does not rely on (shared.services.evidence.reliance), of the types in the reviewer's queue (and among
    `only_types`, when given), oldest first. Two queries however long the queue."""
    today = today or school_today()
    types = set(queue_types(reviewer_roles))
    if only_types is not None:
        types &= set(only_types)
    query = (
        select(EvidenceDocument)
        .where(
            EvidenceDocument.organisation_id.in_(provider_ids),
            EvidenceDocument.status.in_([S.AWAITING_REVIEW, S.VERIFIED, S.REJECTED]),
            EvidenceDocument.evidence_type.in_(sorted(types)),
        )
        .options(selectinload(EvidenceDocument.verifications).joinedload(EvidenceVerification.organisation))
        .order_by(EvidenceDocument.uploaded_at)
    )
    if provider_id is not None:
        query = query.where(EvidenceDocument.organisation_id == provider_id)
    if evidence_type is not None:
        query = query.where(EvidenceDocument.evidence_type == evidence_type)
    return [d for d in db.session.scalars(query) if reliance.needs_check_by(school, d, today)]


def document_of_school_provider(school_id: uuid.UUID, document_id: uuid.UUID) -> EvidenceDocument | None:
    """A document of one of the school's providers; any other is None, like one that does not exist."""
    return db.session.scalar(
        select(EvidenceDocument)
        .join(SchoolProvider, SchoolProvider.provider_id == EvidenceDocument.organisation_id)
        .where(
            EvidenceDocument.id == document_id,
            SchoolProvider.school_id == school_id,
            SchoolProvider.shared_with_school(),
        )
    )


def history(organisation_id: uuid.UUID, evidence_type: str) -> list[EvidenceDocument]:
    """Every version of one evidence item, newest first, with its files and its history (who, when, why)."""
    return list(
        db.session.scalars(
            select(EvidenceDocument)
            .where(EvidenceDocument.organisation_id == organisation_id, EvidenceDocument.evidence_type == evidence_type)
            .options(selectinload(EvidenceDocument.events).joinedload(EvidenceEvent.actor))
            .options(joinedload(EvidenceDocument.uploaded_by))
            .order_by(EvidenceDocument.version.desc())
        ).unique()
    )
