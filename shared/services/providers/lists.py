"""A school's providers as its pages list them, and each provider's approval decisions and recent history
(read-only)."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, and_, or_, select

from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    AuditEvent,
    Concern,
    Notice,
    Organisation,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
)


def providers_of_school(school_id: uuid.UUID) -> list[Row[tuple[Organisation, ProviderProfile, SchoolProvider]]]:
    """The school's providers as rows of (Organisation, ProviderProfile, SchoolProvider), by the name the school sees
    (SchoolProvider.display_name: a request still waiting shows the name the school typed)."""
    rows = db.session.execute(
        select(Organisation, ProviderProfile, SchoolProvider)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .join(SchoolProvider, SchoolProvider.provider_id == Organisation.id)
        .where(SchoolProvider.school_id == school_id)
    ).all()
    return sorted(rows, key=lambda row: (row[2].display_name if row[2].is_request else row[0].name).casefold())


def provider_names_of_school(school_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The school's providers' names by id, in name order: those that have accepted (an invited one has nothing to
    show yet)."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(SchoolProvider, SchoolProvider.provider_id == Organisation.id)
        .where(SchoolProvider.school_id == school_id, SchoolProvider.status != ProviderStatus.INVITED)
        .order_by(Organisation.name)
    ).all()
    return {row.id: row.name for row in rows}


def decisions_of(link: SchoolProvider) -> list[ApprovalDecision]:
    """The school's approval decisions on the provider, the latest first."""
    return list(
        db.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.organisation_id == link.provider_id, ApprovalDecision.school_id == link.school_id)
            .order_by(ApprovalDecision.decided_at.desc())
        )
    )


def last_decision_of(link: SchoolProvider) -> ApprovalDecision | None:
    return db.session.scalar(
        select(ApprovalDecision)
        .where(ApprovalDecision.organisation_id == link.provider_id, ApprovalDecision.school_id == link.school_id)
        .order_by(ApprovalDecision.decided_at.desc())
        .limit(1)
    )


# Events that say safeguarding work is going on (a concern raised, a notice shared, a chronology opened): only a DSL
# may learn they exist, so the provider page's history shows them to DSLs alone.
SAFEGUARDING_EVENTS = ("concern.", "notice.", "chronology.")
# The provider's own events a school sees: about what the provider shares with every school (its details, sites,
# staff list and evidence). Not its work for other schools (their pupils, marks, concerns, policies).
PROVIDER_OWN_EVENTS = ("evidence.", "kcsie.", "staff.added", "staff.removed", "staff.status_checked", "provider.")


def history_of(link: SchoolProvider, *, limit: int = 30, safeguarding: bool = False) -> list[AuditEvent]:
    """The latest events about the provider as `link`'s school sees them: the provider's own about what it shares
    with every school, and this school's about it; safeguarding events only when the reader is a DSL
    (`safeguarding`)."""
    provider_events = or_(*(AuditEvent.action.like(f"{prefix}%") for prefix in PROVIDER_OWN_EVENTS))
    if safeguarding:
        # The provider's concerns and notices about this school's pupils (never another school's).
        shared_with_school = [
            str(row_id)
            for model in (Concern, Notice)
            for row_id in db.session.scalars(
                select(model.id).where(model.school_id == link.school_id, model.provider_id == link.provider_id)
            )
        ]
        provider_events = or_(provider_events, AuditEvent.object_id.in_(shared_with_school))
    query = select(AuditEvent).where(
        or_(
            and_(AuditEvent.organisation_id == link.school_id, AuditEvent.object_id == str(link.provider_id)),
            and_(AuditEvent.organisation_id == link.provider_id, provider_events),
        )
    )
    if not safeguarding:
        query = query.where(*(AuditEvent.action.not_like(f"{prefix}%") for prefix in SAFEGUARDING_EVENTS))
    return list(db.session.scalars(query.order_by(AuditEvent.created_at.desc()).limit(limit)))


def schools_of_provider(provider_id: uuid.UUID) -> list[Organisation]:
    """Provider side: every school this provider works with, in name order, in one query. While the caller holds
    the list, `link.school` or `placement.school` of any of them costs no query (the session keeps rows only as long
    as something refers to them)."""
    return list(
        db.session.scalars(
            select(Organisation)
            .join(SchoolProvider, SchoolProvider.school_id == Organisation.id)
            .where(SchoolProvider.provider_id == provider_id)
            .order_by(Organisation.name)
        )
    )


def school_names_of_provider(provider_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Provider side: the names of every school this provider works with, by school id, in name order (one
    query, of the two columns)."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(SchoolProvider, SchoolProvider.school_id == Organisation.id)
        .where(SchoolProvider.provider_id == provider_id)
        .order_by(Organisation.name)
    ).tuples()
    return dict(rows.all())


def school_labels(provider_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Provider side: the names of the schools this provider works with, by school id, to label each pupil,
    placement, mark, incident, concern and notice with its school. Empty while it works with one school only (the
    label would say nothing; like SchoolProvider.school_arg). One query, as school_names_of_provider."""
    names = school_names_of_provider(provider_id)
    return names if len(names) > 1 else {}
