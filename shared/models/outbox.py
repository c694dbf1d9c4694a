"""Messages waiting to go out, and what people are told in the app.

An e-mail is written to the outbox in the same transaction as the event that causes it, so it is never lost if
the mail server or the worker is down; `deliver_outbox` sends it and records the delivery.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk

# Which e-mails go first when several are due: safeguarding and attendance alerts before everything else.
URGENT = 0
ROUTINE = 1


class OutboxEmail(Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "sent_at", "priority", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=ROUTINE)
    # Why the last try failed: "unreachable" (the mail server could not be reached: every waiting e-mail is tried
    # again as soon as it answers) or "rejected" (the server refused this message).
    failure: Mapped[str | None] = mapped_column(String(16))
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the sender stops trying (a day after its first try); the school sees "not delivered".
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A sender's claim, committed before it sends: no other sender takes the row until the claim runs out, so a
    # crashed sender's rows are sent by the next one after `claimed_until`. Cleared when the attempt is recorded.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Model):
    """An item in someone's "needs your attention" list. Says what is waiting and where, nothing sensitive."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, index=True)
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
