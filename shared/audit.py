"""Audit events with a declared schema: each action names the detail keys it must carry.

`record()` adds the event to the current database session, so it commits (or rolls back) with the change.
Details never hold passwords, codes, tokens or safeguarding content: only ids, role names and old/new values.

The log is tamper-evident: when events are flushed they are chained, each taking the next number (`seq`) and the
hash of the event before it, and storing the SHA-256 of its own content and that link. The chain's head (one row,
`audit_chain_head`) is locked while it is extended, so concurrent transactions queue for their place. `verify()`
(`flask --app wsgi audit-verify`) walks the chain and names the first event that was changed, removed or inserted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import CursorResult, Insert, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from shared.extensions import db
from shared.models import AuditChainHead, AuditEvent, Organisation, User, utcnow

GENESIS = "0" * 64
_order = itertools.count()  # the order events were recorded in, to chain them in that order

# action -> the detail keys it must have (extra keys are refused too, to keep the schema honest)
AUDIT_SCHEMA: dict[str, frozenset[str]] = {
    "sign_in.succeeded": frozenset({"mfa"}),
    "sign_in.failed": frozenset({"reason"}),
    "sign_in.throttled": frozenset({"kind"}),
    "sign_out": frozenset(),
    "session.ended_others": frozenset({"count"}),
    "mfa.enabled": frozenset(),
    "mfa.reset": frozenset(),
    "mfa.recovery_code_used": frozenset({"remaining"}),
    "mfa.confirmed": frozenset(),
    "password.changed": frozenset(),
    "password.reset_requested": frozenset(),
    "password.reset_not_sent": frozenset({"reason"}),  # unknown address, deactivated account or hourly limit
    "password.reset": frozenset(),
    "invitation.sent": frozenset({"roles", "organisation_kind"}),
    "invitation.accepted": frozenset({"roles"}),
    # Recorded in the organisation of an account whose address someone elsewhere tried to invite.
    "invitation.for_existing_account": frozenset({"inviting_organisation"}),
    "user.roles_changed": frozenset({"old", "new"}),
    "user.deactivated": frozenset(),
    "organisation.created": frozenset({"kind"}),
    "provider.invited": frozenset({"provider_name"}),
    "school.created": frozenset(),
    "user.created": frozenset({"roles"}),
    "provider.details_saved": frozenset({"old_type", "new_type"}),
    "provider.site_added": frozenset(),
    "provider.site_removed": frozenset(),
    "provider.contacts_saved": frozenset(),
    "staff.added": frozenset(),
    "staff.removed": frozenset(),
    "staff.status_checked": frozenset({"result"}),
    # issue 13: the AP lead's decision on a flag (its key and the outcome; the reason is on the decision's row)
    "staff.flag_decided": frozenset({"provider", "flag", "outcome"}),
    "staff.removed_by_school": frozenset({"flag"}),
    "kcsie.signed": frozenset({"version", "school"}),
    "kcsie.lapsed": frozenset({"reason"}),
    "evidence.transition": frozenset({"old", "new", "why"}),
    "evidence.uploaded": frozenset({"evidence_type", "version", "virus_scanned", "files"}),
    "evidence.refused": frozenset({"evidence_type", "reason"}),
    "evidence.downloaded": frozenset(),
    "provider.status_changed": frozenset({"old", "new", "why"}),
    "provider.decision": frozenset({"decision"}),
    # Issue 14: whose verifications a school relies on; one organisation's decision on a version another organisation
    # had already decided (the document's status stays as it was); a provider asked by a further school.
    "school.reliance_changed": frozenset({"old", "new"}),
    "evidence.decided_for_organisation": frozenset({"decision", "status"}),
    "provider.asked_by_school": frozenset({"school"}),
    "provider.request_accepted": frozenset({"school"}),
    "provider.request_declined": frozenset({"school"}),
    # Pupils and placements (issue 4). Never names, needs or notes: ids and field names only.
    "pupil.created": frozenset(),
    "pupil.updated": frozenset({"fields"}),
    "pupils.imported": frozenset({"count"}),
    "placement.created": frozenset({"legal_basis"}),
    "placement.updated": frozenset({"fields"}),
    "placement.decided": frozenset({"decision"}),
    "placement.agreed_over_registration_warning": frozenset({"reason"}),  # the headteacher's words: no pupil data
    "placement.summary_saved": frozenset(),
    "placement.document_uploaded": frozenset({"kind", "virus_scanned"}),
    "placement.document_downloaded": frozenset(),
    # The EHC plan annual review pack (issue 15): its pages, never its content.
    "placement.ehcp_pack_downloaded": frozenset({"pages"}),
    "placement.ended": frozenset({"destination"}),
    # issue 14: AP Portal told the school's local authority of an agreed placement (which LA, how many officers)
    "placement.la_notified": frozenset({"local_authority", "officers"}),
    "provider.deadlines_saved": frozenset({"am", "pm"}),
    # Attendance.
    "attendance.marked": frozenset({"day", "session", "code", "late", "source"}),
    "attendance.amended": frozenset({"day", "session", "old_code", "new_code", "source"}),
    "attendance.imported": frozenset({"count"}),
    "attendance.absence_decided": frozenset({"day", "session", "old_code", "new_code"}),
    "attendance.exported": frozenset({"start", "end", "rows"}),
    "attendance.alert_raised": frozenset({"kind", "day", "session"}),
    "attendance.alert_corrected": frozenset({"day", "session"}),
    "calendar.changed": frozenset({"change", "start", "end"}),  # term_added | inset_added | inset_removed
    "api_token.created": frozenset(),
    "api_token.revoked": frozenset(),
    # Incidents, reviews and visits.
    "incident.reported": frozenset({"severity", "pupils"}),
    "incident.acknowledged": frozenset(),
    "incident.course_recorded": frozenset(),
    "review.recorded": frozenset({"outcome"}),
    "review.followed_up": frozenset(),
    "visit.recorded": frozenset({"shared", "standards_judged"}),
    "standards.self_assessed": frozenset({"version", "standards_version"}),
    # Progress the school can see (issue 15).
    "progress.baseline_recorded": frozenset(),
    "progress.targets_set": frozenset({"count"}),
    "progress.report_written": frozenset({"period_start", "photos"}),
    "progress.photo_downloaded": frozenset(),
    "reintegration.planned": frozenset({"weeks", "starts_on"}),
    "reintegration.changed": frozenset({"weeks", "starts_on"}),
    # Safeguarding (issue 5): never content, not even a concern's category; who opened what is audited.
    "concern.raised": frozenset({"route"}),  # route: staff (to their DSL first) | dsl (straight to the school)
    "concern.sent": frozenset(),
    "risk_assessment.updated": frozenset({"part"}),
    "risk_assessment.signed": frozenset({"side"}),
    "risk_assessment.signatures_voided": frozenset({"why"}),
    "risk_assessment.reopened": frozenset({"because"}),
    "risk_assessment.proceed_unsigned": frozenset(),
    "risk_assessment.opened": frozenset(),
    "concern.opened": frozenset(),
    "concern.acknowledged": frozenset(),
    "concern.escalated": frozenset({"minutes"}),
    "concern.entry_recorded": frozenset({"kind"}),
    "concern.shared_back": frozenset(),
    "concern.closed": frozenset(),
    "concern.attachment_added": frozenset({"virus_scanned"}),
    "concern.attachment_downloaded": frozenset(),
    "notice.shared": frozenset({"kind"}),
    "notice.opened": frozenset(),
    "notice.acknowledged": frozenset(),
    "notice.chased": frozenset(),
    "notice.attachment_downloaded": frozenset(),
    "policy.uploaded": frozenset({"version"}),
    "policy.confirmed": frozenset({"version"}),
    "policy.read": frozenset({"version"}),
    "policy.downloaded": frozenset({"version"}),
    "provider_policy.reviewed": frozenset({"outcome"}),
    "chronology.opened": frozenset(),
    "chronology.exported": frozenset({"format"}),
    "report.viewed": frozenset({"report"}),  # issue 6: which report (inspection, census), never its content
    "report.exported": frozenset({"report", "rows"}),
    "agreement.saved": frozenset({"fields"}),  # issue 6: which terms changed, never their text
    "compliance.breach_raised": frozenset({"term", "period_start"}),  # a term rated red for a half-term
    "compliance.breach_resolved": frozenset({"term"}),  # the AP lead recorded what they did (not the text)
    # issue 13: raised for days before the figures count from (the agreement's start, the provider's approval)
    "compliance.breach_withdrawn": frozenset({"term", "counted_from"}),
    "budget.saved": frozenset({"year"}),  # issue 6: the school year of the AP budget, never the amount
    "agreement.document_uploaded": frozenset({"size_bytes", "virus_scanned"}),  # the signed copy: never its name
    "agreement.document_downloaded": frozenset(),
    "agreement.placement_saved": frozenset({"fields"}),  # a placement's own terms: which changed, never their text
    "agreement.placement_removed": frozenset(),  # the placement is back on the provider's terms
}


class AuditSchemaError(ValueError):
    pass


def record(
    action: str,
    *,
    organisation: Organisation | None,
    obj: Any = None,
    actor: User | None = None,
    **details: Any,
) -> AuditEvent:
    expected = AUDIT_SCHEMA.get(action)
    if expected is None:
        raise AuditSchemaError(f"undeclared audit action {action!r}")
    if set(details) != expected:
        raise AuditSchemaError(f"{action!r} needs details {sorted(expected)}, got {sorted(details)}")
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        organisation_id=organisation.id if organisation else None,
        actor_user_id=actor.id if actor else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None else None,
        details=details,
        request_id=g.get("request_id") if has_request_context() else None,
        created_at=utcnow(),
    )
    event._chain_order = next(_order)
    db.session.add(event)
    return event


# --- the hash chain ------------------------------------------------------------------------------------------------


def event_hash(row: AuditEvent, prev_hash: str) -> str:
    """SHA-256 over the event's content and its link to the one before, in a canonical form."""
    content = {
        "seq": row.seq,
        "prev": prev_hash,
        "action": row.action,
        "organisation_id": str(row.organisation_id) if row.organisation_id else None,
        "actor_user_id": str(row.actor_user_id) if row.actor_user_id else None,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "details": row.details,
        "request_id": row.request_id,
        "created_at": row.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_chain(session: Session | None = None) -> None:
    """Take the chain head's lock now, for a transaction that will audit and also lock rows of its own (marks):
    every such writer then takes its locks in one order, the head first, so two never wait on each other in a
    circle (a mark's insert waiting on the head held by a transaction that waits on that mark). The head is locked
    until the transaction ends either way: this only takes it earlier."""
    (session or db.session).execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=AuditChainHead.seq))


def _insert_genesis_head(session: Session) -> Insert:
    """INSERT the chain's head at the genesis, doing nothing if the row is there already (by the time a concurrent
    INSERT of it commits): ON CONFLICT DO NOTHING, in each database's own dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(AuditChainHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    with session.no_autoflush:
        # Take the head's lock first (an UPDATE locks the row on PostgreSQL and takes SQLite's write lock), then read.
        lock = update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=AuditChainHead.seq)
        # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed to return the base Result.
        if not cast(CursorResult[Any], session.execute(lock)).rowcount:
            # The first event ever: make the head at the genesis, unless a concurrent transaction is making it too
            # (then this INSERT waits for that one and does nothing), and lock it as above.
            session.execute(_insert_genesis_head(session))
            session.execute(lock)
        head = session.get(AuditChainHead, 1, populate_existing=True)
        assert head is not None  # made above if it was missing
        for row in sorted(new, key=lambda e: getattr(e, "_chain_order", -1)):
            if row.created_at is None:
                # Mapped[datetime] is the stored value; an event built without one has None until the INSERT.
                row.created_at = utcnow()  # type: ignore[unreachable]
            row.seq = head.seq + 1
            row.prev_hash = head.hash
            row.hash = event_hash(row, head.hash)
            head.seq, head.hash = row.seq, row.hash


@dataclass
class Verification:
    checked: int
    before_chain: int  # events from before the chain began (not covered)
    broken_at: int | None = None  # the seq of the first event that does not hold
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(batch: int = 2000) -> Verification:
    """Walk the chain from the first event: each must follow the one before (no gap), link to its hash, and hash
    to what it stores; the head must name the last. Reads in batches, so a long log needs little memory."""
    before_chain = db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
    assert before_chain is not None  # COUNT(*) always returns a row
    expected_seq, prev = 1, GENESIS
    checked = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return Verification(checked, before_chain, expected_seq, f"event {expected_seq} is missing")
            if row.prev_hash != prev:
                return Verification(
                    checked, before_chain, row.seq, f"event {row.seq} does not link to event {row.seq - 1}"
                )
            if row.hash != event_hash(row, prev):
                return Verification(checked, before_chain, row.seq, f"event {row.seq} ({row.action}) was changed")
            prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return Verification(checked, before_chain, checked + 1, f"events after {checked} are missing")
    return Verification(checked, before_chain)
