"""The school's lists of pupils and placements, and single pupils by id, as pages read them (read-only)."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, select

from shared.extensions import db
from shared.models import Organisation, Placement, Pupil


def pupils_of_school(school_id: uuid.UUID) -> list[Pupil]:
    """The school's pupils by last name."""
    return list(db.session.scalars(select(Pupil).where(Pupil.school_id == school_id).order_by(Pupil.last_name)))


def pupil(pupil_id: uuid.UUID) -> Pupil | None:
    """A pupil by id, whatever the school (from the session when already loaded): the caller checks whose it is."""
    return db.session.get(Pupil, pupil_id)


def pupil_of_school(school_id: uuid.UUID, pupil_id: uuid.UUID) -> Pupil | None:
    """The school's pupil with this id; another school's is None, like one that does not exist."""
    return db.session.scalar(select(Pupil).where(Pupil.id == pupil_id, Pupil.school_id == school_id))


def placements_of_pupil(pupil_id: uuid.UUID) -> list[Placement]:
    """The pupil's placements, the latest start first."""
    return list(
        db.session.scalars(
            select(Placement).where(Placement.pupil_id == pupil_id).order_by(Placement.start_date.desc())
        )
    )


def placements_of_school(school_id: uuid.UUID) -> list[Row[tuple[Placement, Pupil, Organisation]]]:
    """The school's placements as rows of (Placement, Pupil, Organisation: the provider), the latest start first."""
    rows = db.session.execute(
        select(Placement, Pupil, Organisation)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .join(Organisation, Organisation.id == Placement.provider_id)
        .where(Placement.school_id == school_id)
        .order_by(Placement.start_date.desc(), Pupil.last_name)
    ).all()
    return list(rows)
