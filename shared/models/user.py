"""People, what they may do where, and their sign-in state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.crypto import encrypted
from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk
from shared.models.organisation import Organisation, OrganisationKind


class User(Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    # Stored lower-cased and trimmed, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    totp_secret: Mapped[str | None] = mapped_column(encrypted("User", "totp_secret"))  # ciphertext at rest
    # A new secret being set up; it replaces totp_secret only once a code from it is confirmed.
    pending_totp_secret: Mapped[str | None] = mapped_column(encrypted("User", "pending_totp_secret"))
    # The last TOTP time-step accepted: a code is single use, so a step at or before it is refused.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()

    membership: Mapped[Membership | None] = relationship(back_populates="user", uselist=False)
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.organisation if self.membership else None

    @property
    def organisation_kind(self) -> OrganisationKind | None:
        return self.membership.organisation.kind if self.membership else None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.membership.roles) if self.membership else frozenset()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None and self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.id}>"  # never the e-mail: reprs end up in logs


class Membership(Model):
    """A user's place in an organisation. One organisation per user today (unique user_id)."""

    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship()
    roles: Mapped[list[MembershipRole]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin"
    )


class MembershipRole(Model):
    __tablename__ = "membership_roles"

    membership_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("memberships.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)

    membership: Mapped[Membership] = relationship(back_populates="roles")


class RecoveryCode(Model):
    """Single-use MFA recovery codes; only a hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class UserSession(Model):
    """The server-side record of a sign-in. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    mfa_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When the security code was last given in this session (safeguarding pages want it within 15 minutes).
    mfa_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # A safeguarding form sent after the security code went stale: what was typed, kept (encrypted, server-side,
    # never in a URL) until the code is given again, then saved (shared.auth.pending).
    pending_form: Mapped[str | None] = mapped_column(encrypted("UserSession", "pending_form"))
    pending_form_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Invitation(Model):
    """An invitation to join an organisation with some roles. The e-mailed link is a signed token of its id."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[str] = mapped_column(Text, nullable=False)  # space-separated role names
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def role_list(self) -> list[str]:
        return self.roles.split()


class PasswordReset(Model):
    """A password-reset request; its link is single use."""

    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
