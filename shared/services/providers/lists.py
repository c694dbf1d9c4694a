"""A school's providers as its pages list them, and each provider's approval decisions and recent history
(read-only)."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, or_, select

from shared.extensions import db
from shared.models import ApprovalDecision, AuditEvent, Organisation, ProviderProfile


def providers_of_school(school_id: uuid.UUID) -> list[Row[tuple[Organisation, ProviderProfile]]]:
    """The school's providers as rows of (Organisation, ProviderProfile), by name."""
    rows = db.session.execute(
        select(Organisation, ProviderProfile)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(ProviderProfile.school_id == school_id)
        .order_by(Organisation.name)
    ).all()
    return list(rows)


def provider_names_of_school(school_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The school's providers' names by id, in name order."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(ProviderProfile.school_id == school_id)
        .order_by(Organisation.name)
    ).all()
    return {row.id: row.name for row in rows}


def decisions_of(provider_id: uuid.UUID) -> list[ApprovalDecision]:
    """The school's approval decisions on the provider, the latest first."""
    return list(
        db.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.organisation_id == provider_id)
            .order_by(ApprovalDecision.decided_at.desc())
        )
    )


def last_decision_of(provider_id: uuid.UUID) -> ApprovalDecision | None:
    return db.session.scalar(
        select(ApprovalDecision)
        .where(ApprovalDecision.organisation_id == provider_id)
        .order_by(ApprovalDecision.decided_at.desc())
        .limit(1)
    )


# Events that say safeguarding work is going on (a concern raised, a notice shared, a chronology opened): only a DSL
# may learn they exist, so the provider page's history shows them to DSLs alone.
SAFEGUARDING_EVENTS = ("concern.", "notice.", "chronology.")


def history_of(profile: ProviderProfile, *, limit: int = 30, safeguarding: bool = False) -> list[AuditEvent]:
    """The latest events about the provider: its own, and the school's about it; safeguarding events only when the
    reader is a DSL (`safeguarding`)."""
    query = select(AuditEvent).where(
        AuditEvent.organisation_id.in_([profile.organisation_id, profile.school_id]),
        or_(
            AuditEvent.object_id == str(profile.organisation_id),
            AuditEvent.organisation_id == profile.organisation_id,
        ),
    )
    if not safeguarding:
        query = query.where(*(AuditEvent.action.not_like(f"{prefix}%") for prefix in SAFEGUARDING_EVENTS))
    return list(db.session.scalars(query.order_by(AuditEvent.created_at.desc()).limit(limit)))
