"""Server-side session records behind Flask-Login.

The cookie holds a random token; the database holds its hash, when it was last used and whether it has ended.
Signing out, changing the password and deactivation end the record, so a copied cookie stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import select, update

from shared.extensions import db, login_manager
from shared.models import OrganisationKind, User, UserSession, utcnow

# last_seen_at is written at most this often, so most requests do not write.
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout_for(user: User) -> timedelta:
    org = user.organisation
    minutes = (
        current_app.config["SCHOOL_IDLE_MINUTES"]
        if org is not None and org.kind == OrganisationKind.SCHOOL
        else current_app.config["PORTAL_IDLE_MINUTES"]
    )
    return timedelta(minutes=minutes)


def start_session(user: User, *, mfa_verified: bool) -> UserSession:
    """Sign the user in with a new session record; the old cookie's contents are discarded (id rotation)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        mfa_verified=mfa_verified,
        user_agent=(request.user_agent.string or "")[:200],
    )
    db.session.add(record)
    session.clear()
    user.session_token = token
    login_user(user)
    g.user_session = record
    return record


def end_current_session(reason: str) -> None:
    record = g.get("user_session")
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        record.end_reason = reason
    logout_user()
    session.clear()


def end_user_sessions(user: User, reason: str, *, keep: UserSession | None = None) -> int:
    """End every open session of the user (except `keep`); returns how many were ended."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt).rowcount


@login_manager.user_loader
def load_user_from_session(token: str) -> User | None:
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if record is None or record.ended_at is not None:
        return None
    user = record.user
    now = utcnow()
    expired = None
    if not user.active:
        expired = "deactivated"
    elif now - record.last_seen_at > idle_timeout_for(user):
        expired = "idle"
    elif now - record.created_at > timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]):
        expired = "absolute"
    if expired:
        record.ended_at = now
        record.end_reason = expired
        db.session.commit()
        g.session_ended_reason = expired
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    user.session_token = token
    g.user_session = record
    return user


def open_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        )
    )
