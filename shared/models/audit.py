"""Audit events: who did what to which object, when; written in the same transaction as the change, and chained
by hashes so that a changed, removed or inserted event is detected (`flask --app wsgi audit-verify`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import created_at, uuid_pk


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()
    # The hash chain (shared.audit): each event's place in the chain, the hash of the one before, and its own hash
    # over its content and that link. Events from before the chain began have none.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    if TYPE_CHECKING:
        # Not a column: set by shared.audit.record on a new event, the order to chain unflushed events in.
        _chain_order: int
