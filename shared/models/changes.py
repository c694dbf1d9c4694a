"""Changes to what an organisation's kept pages show (shared/kept_pages.py).

A row is written by the database itself, by triggers on the tables those pages read (migration 0021_kept_pages),
for every organisation whose pages could show the row that changed: a mark's provider and school, a placement's
provider, school and the school's local authority, and so on. Nothing in the app writes one, so no way of changing
those tables (the web, the API, the CLI, a migration, SQL typed by hand) can be missed. The sum of an organisation's
weights goes up with every change committed and never comes back to an earlier value; `compact_changes` folds an
organisation's rows into one, keeping the sum."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Index, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model


class OrganisationChange(Model):
    __tablename__ = "organisation_changes"
    __table_args__ = (Index("ix_organisation_changes_organisation", "organisation_id", "weight"),)

    # An INTEGER PRIMARY KEY on SQLite (its rowid, numbered by SQLite itself), a bigint identity on PostgreSQL.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    # No foreign key: a change is logged for an organisation as it is deleted, too.
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
