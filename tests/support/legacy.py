"""Rows written past the models, for tests of old migrations. The models follow the newest schema (from 0016 a
provider's school and status are on school_providers, organisations have more columns), so a test that stops at an
older revision writes what it needs with SQL, as that revision's tables were. Inside an app context; commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from shared.extensions import db

_NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _insert(table: str, **values) -> None:
    columns = [
        sa.column(name, sa.Uuid()) if isinstance(v, uuid.UUID) else sa.column(name) for name, v in values.items()
    ]
    db.session.execute(sa.table(table, *columns).insert().values(**values))


def school(name: str = "Old School") -> uuid.UUID:
    school_id = uuid.uuid4()
    _insert("organisations", id=school_id, kind="school", name=name, created_at=_NOW)
    db.session.commit()
    return school_id


def provider(
    school_id: uuid.UUID, name: str = "Old Provider", *, status: str = "onboarding", provider_type: str | None = None
) -> uuid.UUID:
    """A provider as before 0016: its profile carries its one school and its status."""
    provider_id = uuid.uuid4()
    _insert("organisations", id=provider_id, kind="provider", name=name, created_at=_NOW)
    _insert(
        "provider_profiles",
        id=uuid.uuid4(),
        organisation_id=provider_id,
        school_id=school_id,
        status=status,
        status_changed_at=_NOW,
        created_at=_NOW,
        provider_type=provider_type,
    )
    db.session.commit()
    return provider_id


def user(organisation_id: uuid.UUID, roles: list[str], *, email: str | None = None) -> uuid.UUID:
    """A person (no password: these tests never sign in at the old revision)."""
    user_id, membership_id = uuid.uuid4(), uuid.uuid4()
    _insert(
        "users",
        id=user_id,
        email=email or f"{roles[0]}-{user_id.hex[:6]}@old.example",
        name=f"Old {roles[0]}",
        active=True,
        created_at=_NOW,
    )
    _insert("memberships", id=membership_id, user_id=user_id, organisation_id=organisation_id, created_at=_NOW)
    for role in roles:
        _insert("membership_roles", membership_id=membership_id, role=role)
    db.session.commit()
    return user_id


def placement(school_id: uuid.UUID, provider_id: uuid.UUID, pupil_id: uuid.UUID) -> uuid.UUID:
    """An agreed, running placement (every weekday AM and PM) as the revision's placements table has it: only the
    columns that table has are written."""
    from datetime import date

    from shared.models.pupil import TIMETABLE_SLOTS

    placement_id = uuid.uuid4()
    wanted = {
        "id": placement_id,
        "school_id": school_id,
        "provider_id": provider_id,
        "pupil_id": pupil_id,
        "start_date": date(2026, 9, 7),
        "status": "active",
        "legal_basis": "school_arranged",
        "timetable": list(TIMETABLE_SLOTS),
        "headteacher_decision": "agreed",
        "created_at": _NOW,
        "updated_at": _NOW,
    }
    present = {column["name"] for column in sa.inspect(db.engine).get_columns("placements")}
    values = {name: value for name, value in wanted.items() if name in present}
    columns = [
        sa.column(n, sa.Uuid())
        if isinstance(v, uuid.UUID)
        else sa.column(n, sa.JSON())
        if n == "timetable"
        else sa.column(n)
        for n, v in values.items()
    ]
    db.session.execute(sa.table("placements", *columns).insert().values(**values))
    db.session.commit()
    return placement_id
