"""The schools in a local authority's area: everything the LA side shows is about these schools' placements and the
providers they use."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.extensions import db
from shared.models import Organisation, OrganisationKind


def schools_of(la_id: uuid.UUID) -> list[Organisation]:
    """The schools in the local authority's area, by name."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id)
            .order_by(Organisation.name)
        )
    )


def school_ids_of(la_id: uuid.UUID) -> list[uuid.UUID]:
    return [school.id for school in schools_of(la_id)]


def school_names_of(la_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """schools_of's names by id, in the same order (the two columns only)."""
    # Rows, not the Result itself: a Result has keys(), so dict() would take it for a mapping.
    return dict(
        db.session.execute(
            select(Organisation.id, Organisation.name)
            .where(Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id)
            .order_by(Organisation.name)
        )
        .tuples()
        .all()
    )
