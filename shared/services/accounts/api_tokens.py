"""Providers' tokens for the attendance API (/api/v1).

A token is "app_" and 32 random bytes (URL-safe base64). It is shown once, when it is made; the database keeps only
its SHA-256 (a token is long and random, so a fast hash is enough: there is nothing to guess) and its first 12
characters, so people can tell their tokens apart. A token works only while it is not revoked and its provider is
approved: a provider that is suspended or no longer approved cannot send marks, whatever tokens it holds.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from shared import audit
from shared.extensions import db
from shared.models import ApiToken, Organisation, OrganisationKind, ProviderStatus, SchoolProvider, User, utcnow
from shared.services.errors import RuleBroken

TOKEN_PREFIX = "app_"  # noqa: S105 - the public start of every token, not a secret
PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
MAX_TOKEN_LENGTH = 100  # far longer than a real token; anything longer is refused without hashing it
# last_used_at is written at most this often, so most API calls do not write.
TOUCH_INTERVAL = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # the only time the token itself exists outside the provider's system


@dataclass(frozen=True)
class TokenListing:
    id: object
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


def create(provider: Organisation, *, name: str, by: User) -> NewToken:
    """Make a token for the provider and commit; the token is in the answer and nowhere else."""
    name = " ".join((name or "").split())
    if not name:
        raise RuleBroken("Enter what the token is for, like 'Our MIS'", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleBroken(f"The name must be {MAX_NAME_LENGTH} characters or fewer", "name")
    if provider.kind != OrganisationKind.PROVIDER:
        raise RuleBroken("Only a provider can have API tokens", "name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        organisation_id=provider.id,
        name=name,
        token_hash=token_hash(token),
        prefix=token[:PREFIX_LENGTH],
        created_by_id=by.id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.created", organisation=provider, obj=row, actor=by)
    db.session.commit()
    return NewToken(row, token)


def revoke(row: ApiToken, *, by: User | None) -> bool:
    """Revoke the token at once (the next call with it is refused) and commit; False if it already was.
    `by` is None from the command line."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    row.revoked_by_id = by.id if by is not None else None
    audit.record("api_token.revoked", organisation=db.session.get(Organisation, row.organisation_id), obj=row, actor=by)
    db.session.commit()
    return True


def find_by_prefix(prefix: str) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix.strip())))


def tokens_of(provider_id: uuid.UUID) -> list[TokenListing]:
    """The provider's tokens, newest first, with who made and revoked them."""
    creator, revoker = aliased(User), aliased(User)
    rows = db.session.execute(
        select(ApiToken, creator.name, revoker.name)
        .join(creator, creator.id == ApiToken.created_by_id)
        .outerjoin(revoker, revoker.id == ApiToken.revoked_by_id)
        .where(ApiToken.organisation_id == provider_id)
        .order_by(ApiToken.created_at.desc())
    )
    return [
        TokenListing(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_by=created_by,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            revoked_by=revoked_by,
        )
        for token, created_by, revoked_by in rows
    ]


def authenticate(token: str | None) -> ApiToken | None:
    """The token's row if it is known, not revoked and its provider is approved; else None. Notes the use (at most
    once a minute, committed on its own)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(token),
            ApiToken.revoked_at.is_(None),
            # Approved by at least one school (each mark is for a placement, which belongs to its school).
            select(SchoolProvider.id)
            .where(
                SchoolProvider.provider_id == ApiToken.organisation_id, SchoolProvider.status == ProviderStatus.APPROVED
            )
            .exists(),
        )
    )
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row
