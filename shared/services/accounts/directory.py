"""Who is who, by id: the organisations and people that pages name (a provider's name, who recorded something)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from shared.extensions import db
from shared.models import Organisation, User


def organisation(organisation_id: uuid.UUID | None) -> Organisation | None:
    """The organisation (from the session when it is already loaded, so often no query)."""
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def organisation_names(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Organisations' names by id, in one query (none for no ids)."""
    ids = set(ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).tuples().all()
    )


def person(user_id: uuid.UUID | None) -> User | None:
    """The person (from the session when it is already loaded)."""
    return db.session.get(User, user_id) if user_id else None


def people_names(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """People's names by id, in one query (none for no ids)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all())
