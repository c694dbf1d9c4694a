"""Verification once, trusted by many: whose verification of a provider's evidence a school relies on, and what a
version of a document is for one school.

Each organisation (a school or a local authority) records its own decision on a version (EvidenceVerification). A
school relies on the decisions of the organisations it chose (its local authority, the schools of its trust, any
school; by default none: only its own). For school S a document is then:

- verified: by S itself, or by an organisation S relies on (the item says whose, and until when);
- rejected: by S itself, or by an organisation S relies on (by whom, and why);
- needs S's verification: decided only by organisations S does not rely on (it is in S's queue);
- awaiting review: no one has decided yet (it is in every school's queue);
- expired (for everyone: the document's own status), or not uploaded.

A school that reopens a version others verified withdraws only its own trust (its decision "reopened"): the version
needs its verification again, and the others' stand.

A version verified before organisations' decisions were recorded (no decision at all, status verified or rejected)
counts as it did then, for every school.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from shared import audit
from shared.extensions import db
from shared.models import (
    DocumentStatus,
    EvidenceDocument,
    EvidenceVerification,
    Organisation,
    ProviderStatus,
    SchoolProvider,
    User,
    utcnow,
)

DEFAULT_NOTE = "Until you choose otherwise, your school relies only on its own verification."


class Whose(enum.StrEnum):
    OWN = "own"
    LOCAL_AUTHORITY = "local_authority"
    TRUST = "trust"
    SCHOOL = "school"


class State(enum.StrEnum):
    NOT_UPLOADED = "not_uploaded"
    AWAITING_REVIEW = "awaiting_review"
    NEEDS_YOU = "needs_your_verification"
    VERIFIED = "verified"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ForSchool:
    """What one version is for one school, and on whose decision that rests."""

    state: State
    by: str | None = None  # the deciding organisation's name
    whose: Whose | None = None  # how the school relates to it (None: nobody it relies on, or not known)
    until: date | None = None
    reason: str | None = None  # a rejection's reason

    @property
    def done(self) -> bool:
        return self.state == State.VERIFIED

    @property
    def detail(self) -> str:
        """The checklist's words: e.g. "Verified by Demo Academy (relied on) until 31 July 2027"."""
        until = f" until {self.until:%-d %B %Y}" if self.until else ""
        if self.state == State.VERIFIED:
            if self.whose is None:
                return f"Verified{until}"
            if self.whose == Whose.OWN:
                return f"Verified{until}, by your school"
            return f"Verified by {self.by} (relied on){until}"
        if self.state == State.REJECTED:
            if self.whose is None or self.whose == Whose.OWN:
                return "Rejected" if self.whose is None else "Rejected by your school"
            return f"Rejected by {self.by} (relied on)"
        if self.state == State.NEEDS_YOU and self.whose == Whose.OWN:
            return "Reopened by your school: it needs your verification"
        if self.state == State.NEEDS_YOU:
            return f"Needs your verification (checked by {self.by}, which your school does not rely on)"
        if self.state == State.EXPIRED:
            return f"Out of date since {self.until:%-d %B %Y}" if self.until else "Expired"
        if self.state == State.AWAITING_REVIEW:
            return "Awaiting review"
        return "Not uploaded"


def reliance_choices(school: Organisation) -> dict[str, bool]:
    return {
        "relies_on_la": school.relies_on_la,
        "relies_on_trust": school.relies_on_trust,
        "relies_on_any_school": school.relies_on_any_school,
    }


def describe_reliance(school: Organisation) -> str:
    """One sentence: whose verifications the school relies on."""
    whose = []
    if school.relies_on_la and school.local_authority is not None:
        whose.append(school.local_authority.name)
    if school.relies_on_any_school:
        whose.append("any school on AP Portal")
    elif school.relies_on_trust and school.trust_name:
        whose.append(f"schools of {school.trust_name}")
    if not whose:
        return "Your school relies only on its own verification."
    return f"Your school relies on its own verification and on that of {' and '.join(whose)}."


def set_reliance(school: Organisation, *, la: bool, trust: bool, any_school: bool, by: User) -> None:
    """The headteacher or AP lead chooses whose verifications the school relies on. Audited with old and new."""
    old = reliance_choices(school)
    school.relies_on_la, school.relies_on_trust, school.relies_on_any_school = la, trust, any_school
    new = reliance_choices(school)
    if old != new:
        audit.record("school.reliance_changed", organisation=school, obj=school, actor=by, old=old, new=new)
    db.session.commit()


def relation(school: Organisation, organisation: Organisation) -> Whose | None:
    """How the school relies on `organisation`'s verification, or None when it does not."""
    if organisation.id == school.id:
        return Whose.OWN
    if organisation.is_local_authority:
        return Whose.LOCAL_AUTHORITY if school.relies_on_la and organisation.id == school.local_authority_id else None
    if not organisation.is_school:
        return None
    if school.relies_on_trust and school.trust_name and organisation.trust_name == school.trust_name:
        return Whose.TRUST
    if school.relies_on_any_school:
        return Whose.SCHOOL
    return None


# Whose decision the school would rather rest on, when several it relies on decided.
_PREFERENCE = {Whose.OWN: 0, Whose.LOCAL_AUTHORITY: 1, Whose.TRUST: 2, Whose.SCHOOL: 3}


def for_school(school: Organisation, document: EvidenceDocument | None, today: date) -> ForSchool:
    """What `document` (the current version of one type) is for `school`."""
    if document is None:
        return ForSchool(State.NOT_UPLOADED)
    return state_of(
        school,
        document.status,
        document.expiry_date,
        document.rejection_reason,
        list(document.verifications),
        today,
    )


def state_of(
    school: Organisation,
    status: DocumentStatus,
    expiry_date: date | None,
    rejection_reason: str | None,
    decisions: list[EvidenceVerification],
    today: date,
) -> ForSchool:
    """for_school from a version's columns and its decisions (for lists that read columns, not documents)."""
    if status == DocumentStatus.EXPIRED:
        return ForSchool(State.EXPIRED)
    if status in (DocumentStatus.UPLOADED, DocumentStatus.SUPERSEDED):
        return ForSchool(State.AWAITING_REVIEW)
    if not decisions:
        return _as_before(status, expiry_date, rejection_reason, today)
    relied = sorted(
        ((whose, decision) for decision in decisions if (whose := relation(school, decision.organisation)) is not None),
        key=lambda pair: _PREFERENCE[pair[0]],
    )
    # The school's own decision stands over anyone else's; then a verification over a rejection.
    own = next((decision for whose, decision in relied if whose == Whose.OWN), None)
    if own is not None:
        if own.decision == EvidenceVerification.REOPENED:
            return ForSchool(State.NEEDS_YOU, whose=Whose.OWN, reason=own.reason)
        return _decided(own, Whose.OWN, expiry_date, today)
    others = [pair for pair in relied if pair[1].decision != EvidenceVerification.REOPENED]
    verified = [pair for pair in others if pair[1].decision == EvidenceVerification.VERIFIED]
    for whose, decision in verified or others:
        return _decided(decision, whose, expiry_date, today)
    if status == DocumentStatus.AWAITING_REVIEW and not any(
        d.decision == EvidenceVerification.VERIFIED for d in decisions
    ):
        # Rejected elsewhere and reopened: still waiting for anyone's check.
        return ForSchool(State.AWAITING_REVIEW)
    names = ", ".join(sorted({d.organisation.name for d in decisions if d.decision != EvidenceVerification.REOPENED}))
    return ForSchool(State.NEEDS_YOU, by=names)


def _decided(decision: EvidenceVerification, whose: Whose, expiry_date: date | None, today: date) -> ForSchool:
    name = decision.organisation.name
    if decision.decision == EvidenceVerification.REJECTED:
        return ForSchool(State.REJECTED, by=name, whose=whose, reason=decision.reason)
    until = decision.expiry_date or expiry_date
    if until is not None and until <= today:
        return ForSchool(State.EXPIRED, by=name, whose=whose, until=until)
    return ForSchool(State.VERIFIED, by=name, whose=whose, until=until)


def _as_before(
    status: DocumentStatus, expiry_date: date | None, rejection_reason: str | None, today: date
) -> ForSchool:
    if status == DocumentStatus.VERIFIED:
        if expiry_date is not None and expiry_date <= today:
            return ForSchool(State.EXPIRED, until=expiry_date)
        return ForSchool(State.VERIFIED, until=expiry_date)
    if status == DocumentStatus.REJECTED:
        return ForSchool(State.REJECTED, reason=rejection_reason)
    return ForSchool(State.AWAITING_REVIEW)


def needs_check_by(school: Organisation, document: EvidenceDocument, today: date) -> bool:
    """Whether the document belongs in `school`'s verification queue."""
    return for_school(school, document, today).state in (State.AWAITING_REVIEW, State.NEEDS_YOU)


def load_decisions(documents: Iterable[EvidenceDocument]) -> None:
    """Load the decisions (and their organisations) of many documents in one query, for lists."""
    ids = [d.id for d in documents if "verifications" not in d.__dict__]
    if not ids:
        return
    list(
        db.session.scalars(
            select(EvidenceDocument)
            .where(EvidenceDocument.id.in_(ids))
            .options(selectinload(EvidenceDocument.verifications).joinedload(EvidenceVerification.organisation))
        )
    )


def decisions_by_document(document_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[EvidenceVerification]]:
    """The decisions on these versions, with their organisations, in one query."""
    ids = list(document_ids)
    found: dict[uuid.UUID, list[EvidenceVerification]] = {i: [] for i in ids}
    if ids:
        for decision in db.session.scalars(
            select(EvidenceVerification)
            .where(EvidenceVerification.document_id.in_(ids))
            .options(joinedload(EvidenceVerification.organisation))
        ):
            found[decision.document_id].append(decision)
    return found


def decision_of(document: EvidenceDocument, organisation_id: uuid.UUID) -> EvidenceVerification | None:
    return next((d for d in document.verifications if d.organisation_id == organisation_id), None)


def record_decision(
    document: EvidenceDocument,
    organisation: Organisation,
    decision: str,
    *,
    by: User,
    reason: str | None = None,
    checklist: dict[str, bool] | None = None,
    issue_date: date | None = None,
    expiry_date: date | None = None,
    review_date: date | None = None,
) -> EvidenceVerification:
    """`organisation`'s own decision on the version (replacing any earlier one of its own); the caller commits."""
    row = decision_of(document, organisation.id)
    if row is None:
        row = EvidenceVerification(document=document, organisation_id=organisation.id, organisation=organisation)
        db.session.add(row)
    row.decision, row.decided_by_id, row.reason = decision, by.id, reason
    row.checklist = checklist or {}
    row.issue_date, row.expiry_date, row.review_date = issue_date, expiry_date, review_date
    row.decided_at = utcnow()
    return row


def seen_by(provider_id: uuid.UUID) -> list[str]:
    """The names of the schools a provider works with and of each one's local authority: who can see its evidence."""
    schools = db.session.scalars(
        select(Organisation)
        .join(SchoolProvider, SchoolProvider.school_id == Organisation.id)
        .where(SchoolProvider.provider_id == provider_id)
        # A school's request the provider has not accepted yet sees nothing.
        .where((SchoolProvider.status != ProviderStatus.INVITED) | SchoolProvider.invited_name.is_(None))
        .options(selectinload(Organisation.local_authority))
        .order_by(SchoolProvider.created_at)
    ).all()
    names: list[str] = []
    for school in schools:
        for organisation in (school, school.local_authority):
            if organisation is not None and organisation.name not in names:
                names.append(organisation.name)
    return names
