"""Audit events with a declared schema: each action names the detail keys it must carry.

`record()` adds the event to the current database session, so it commits (or rolls back) with the change.
Details never hold passwords, codes, tokens or safeguarding content: only ids, role names and old/new values.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_login import current_user

from shared.extensions import db
from shared.models import AuditEvent, Organisation, User

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
    "password.changed": frozenset(),
    "password.reset_requested": frozenset(),
    "password.reset": frozenset(),
    "invitation.sent": frozenset({"roles", "organisation_kind"}),
    "invitation.accepted": frozenset({"roles"}),
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
    "kcsie.signed": frozenset({"version"}),
    "kcsie.lapsed": frozenset({"reason"}),
    "evidence.transition": frozenset({"old", "new", "why"}),
    "evidence.uploaded": frozenset({"evidence_type", "version", "virus_scanned"}),
    "evidence.refused": frozenset({"evidence_type", "reason"}),
    "evidence.downloaded": frozenset(),
    "provider.status_changed": frozenset({"old", "new", "why"}),
    "provider.decision": frozenset({"decision"}),
    # Pupils and placements (issue 4). Never names, needs or notes: ids and field names only.
    "pupil.created": frozenset(),
    "pupil.updated": frozenset({"fields"}),
    "pupils.imported": frozenset({"count"}),
    "placement.created": frozenset({"legal_basis"}),
    "placement.updated": frozenset({"fields"}),
    "placement.decided": frozenset({"decision"}),
    "placement.summary_saved": frozenset(),
    "placement.document_uploaded": frozenset({"kind", "virus_scanned"}),
    "placement.document_downloaded": frozenset(),
    "placement.ended": frozenset({"destination"}),
    "provider.deadlines_saved": frozenset({"am", "pm"}),
    # Attendance.
    "attendance.marked": frozenset({"day", "session", "code", "late", "source"}),
    "attendance.amended": frozenset({"day", "session", "old_code", "new_code", "source"}),
    "attendance.imported": frozenset({"count"}),
    "attendance.absence_decided": frozenset({"day", "session", "old_code", "new_code"}),
    "attendance.exported": frozenset({"start", "end", "rows"}),
    "attendance.alert_raised": frozenset({"kind", "day", "session"}),
    "calendar.changed": frozenset({"change", "start", "end"}),  # term_added | inset_added | inset_removed
    "api_token.created": frozenset(),
    "api_token.revoked": frozenset(),
    # Incidents, reviews and visits.
    "incident.reported": frozenset({"severity", "pupils"}),
    "incident.acknowledged": frozenset(),
    "incident.course_recorded": frozenset(),
    "review.recorded": frozenset({"outcome"}),
    "visit.recorded": frozenset(),
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
    )
    db.session.add(event)
    return event
