"""Server-side session records behind Flask-Login.

The cookie holds a random token; the database holds its hash, when it was last used and whether it has ended.
Signing out, changing the password and deactivation end the record, so a copied cookie stops working.
Every signed-in request reads the record, the person, their organisation and roles in one autocommit query
(one round trip, no transaction); see bench/ for why that matters. A page whose first read depends only on the
person's organisation can have it read in that same statement (`PrincipalRider`): the headteacher's home does, so
the whole request is one round trip.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import ColumnElement, Connection, CursorResult, Label, bindparam, select, update
from werkzeug.datastructures import MultiDict

from shared.auth.principal import SignedInUser
from shared.extensions import db, login_manager
from shared.hot_reads import HotRead
from shared.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    User,
    UserSession,
    utcnow,
)

# last_seen_at is written at most this often, so most requests do not write.
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout_for(kind: OrganisationKind) -> timedelta:
    minutes = (
        current_app.config["SCHOOL_IDLE_MINUTES"]
        if kind != OrganisationKind.PROVIDER
        else current_app.config["PORTAL_IDLE_MINUTES"]
    )
    return timedelta(minutes=minutes)


def start_session(user: User, *, mfa_verified: bool) -> UserSession:
    """Sign the user in with a new session record; the old cookie's contents are discarded (id rotation)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        id=uuid.uuid4(),
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        mfa_verified=mfa_verified,
        mfa_verified_at=now if mfa_verified else None,
        user_agent=(request.user_agent.string or "")[:200],
    )
    db.session.add(record)
    session.clear()
    login_user(
        SignedInUser.from_user(
            user, session_id=record.id, mfa_verified=mfa_verified, token=token, mfa_at=record.mfa_verified_at
        )
    )
    return record


def end_current_session(reason: str) -> None:
    if current_user.is_authenticated:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == current_user.session_id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason, pending_form=None, pending_form_at=None)
        )
    logout_user()
    session.clear()


def mark_current_session_mfa_verified() -> None:
    """The security code was just given in this session (set-up, or asked again before safeguarding pages)."""
    now = utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == current_user.session_id)
        .values(mfa_verified=True, mfa_verified_at=now)
    )
    current_user.session_mfa_verified, current_user.session_mfa_at = True, now


# A form kept across the security code re-check is saved if the code is given within this long (the portal's idle
# time-out; the school's is shorter and ends the session, and the kept form with it), else dropped and the person
# told: a note saved hours after it was written would carry the wrong time.
PENDING_FORM_KEPT = timedelta(minutes=60)
# The Flask session carries only where the kept form goes (a path), never what it says.
_REPLAY_KEY = "pending_form_replay"


def keep_pending_form(path: str, fields: MultiDict[str, str]) -> None:
    """A safeguarding form sent with a stale security code: keep what was typed on this session's server-side record
    (encrypted at rest, never in the URL, the cookie or a log) until the code is given again. Commits. One kept
    form per session: a later one replaces it."""
    kept = {"path": path, "fields": [[name, value] for name, value in fields.items(multi=True) if name != "csrf_token"]}
    record = db.session.get(UserSession, current_user.session_id)
    assert record is not None, "a signed-in person has a session record"
    record.pending_form = json.dumps(kept)
    record.pending_form_at = utcnow()
    db.session.commit()


def pending_form_path() -> str | None:
    """Where the form kept on this session goes, if one is kept and still recent enough to save."""
    record = db.session.get(UserSession, current_user.session_id)
    if record is None or record.pending_form is None or record.pending_form_at is None:
        return None
    if utcnow() - record.pending_form_at > PENDING_FORM_KEPT:
        return None
    path: str = json.loads(record.pending_form)["path"]
    return path


def replay_pending_form() -> tuple[str | None, bool]:
    """The code was just given: (the path to send the kept form to, or None; whether a kept form was too old and has
    been dropped). The browser is sent to the path with a 307, so it posts again, with its CSRF token and no
    content; this session's next post there is marked as the replay. Commits a drop."""
    path = pending_form_path()
    if path is not None:
        session[_REPLAY_KEY] = path
        return path, False
    record = db.session.get(UserSession, current_user.session_id)
    if record is not None and record.pending_form is not None:
        record.pending_form = None
        record.pending_form_at = None
        db.session.commit()
        return None, True
    return None, False


def take_pending_form(path: str) -> MultiDict[str, str] | None:
    """On the replayed post to `path`: the kept fields (and the kept form is cleared, so it is saved once), else
    None. Commits the clearing."""
    if session.pop(_REPLAY_KEY, None) != path or pending_form_path() != path:
        return None
    record = db.session.get(UserSession, current_user.session_id)
    assert record is not None and record.pending_form is not None, "pending_form_path found it"
    fields = MultiDict([(name, value) for name, value in json.loads(record.pending_form)["fields"]])
    record.pending_form = None
    record.pending_form_at = None
    db.session.commit()
    return fields


def end_user_sessions(user_id: uuid.UUID, reason: str, *, keep_id: uuid.UUID | None = None) -> int:
    """End every open session of the user (except `keep_id`); returns how many were ended."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason, pending_form=None, pending_form_at=None)
    )
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed to return the base Result.
    return cast(CursorResult[Any], db.session.execute(stmt)).rowcount


_PRINCIPAL_COLUMNS = (
    UserSession.id,
    UserSession.created_at,
    UserSession.last_seen_at,
    UserSession.ended_at,
    UserSession.mfa_verified,
    UserSession.mfa_verified_at,
    User.id.label("user_id"),
    User.email,
    User.name,
    User.active,
    User.mfa_enabled_at,
    User.totp_secret.is_not(None).label("has_totp_secret"),  # never the (encrypted) secret itself
    Organisation.id.label("organisation_id"),
    Organisation.kind,
    Organisation.name.label("organisation_name"),
    MembershipRole.role,
)


def _principal_query(*extra: Label[Any]) -> HotRead:
    return HotRead(
        select(*_PRINCIPAL_COLUMNS, *extra)
        .join(User, User.id == UserSession.user_id)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .outerjoin(MembershipRole, MembershipRole.membership_id == Membership.id)
        # Built once with a bound parameter, so SQLAlchemy reuses its compiled form and cache key on every request,
        # and run as a HotRead (shared/hot_reads.py): on every signed-in request.
        .where(UserSession.token_hash == bindparam("token_hash")),
        convert={"kind": OrganisationKind},
    )


_PRINCIPAL_QUERY = _principal_query()


# --- a page's first small read, in the principal's round trip -------------------------------------------------------


@dataclass(frozen=True)
class PrincipalRider:
    """A small read of a page that depends only on the signed-in person's organisation (the headteacher's counts on
    the school home), sent in the same statement as the principal when that page is asked for: one database round
    trip for the request instead of two. `columns(organisation_id)` gives labelled scalar subqueries.

    It is read before the person is known to be allowed anything, so its values are kept for the request only, and
    `ridden` gives them only for the organisation the principal turned out to belong to; a page that uses them
    decides, as it would anyway, whether the person may see them."""

    name: str
    columns: Callable[[ColumnElement[uuid.UUID]], Sequence[Label[Any]]]


_RIDERS: dict[str, PrincipalRider] = {}  # by endpoint
_RIDDEN_QUERIES: dict[str, HotRead] = {}  # by rider, built on first use


def ride_with_principal(endpoint: str, rider: PrincipalRider) -> None:
    """Read `rider` with the principal on every request for `endpoint` (called once, where the view is declared)."""
    _RIDERS[endpoint] = rider
    _RIDDEN_QUERIES.pop(rider.name, None)


def ridden(rider: PrincipalRider, organisation_id: uuid.UUID) -> Any | None:
    """The rider's values (a row with its columns' labels) read with this request's principal, if they were and are
    for `organisation_id`; None otherwise (the caller reads them itself)."""
    found: tuple[uuid.UUID, Any] | None = g.get("_ridden", {}).get(rider.name)
    if found is None or found[0] != organisation_id:
        return None
    return found[1]


def _principal_query_for(endpoint: str | None) -> tuple[HotRead, PrincipalRider | None]:
    rider = _RIDERS.get(endpoint) if endpoint else None
    if rider is None:
        return _PRINCIPAL_QUERY, None
    query = _RIDDEN_QUERIES.get(rider.name)
    if query is None:
        query = _RIDDEN_QUERIES[rider.name] = _principal_query(*rider.columns(Organisation.__table__.c.id))
    return query, rider


def autocommit_connection() -> Connection:
    """One autocommit connection for the request's small reads outside the ORM (the signed-in principal, the
    headteacher's counts): checked out of the pool once per request, not once per read, and given back when the
    request ends (shared.app registers `release_autocommit_connection`). On PostgreSQL it comes from a pool of
    connections opened in autocommit (shared.db_pool.init_autocommit_engine)."""
    conn: Connection | None = g.get("_autocommit_connection")
    if conn is None:
        engine = current_app.extensions.get("autocommit_engine")
        conn = (
            engine.connect()
            if engine is not None
            else db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        )
        g._autocommit_connection = conn
    return conn


def release_autocommit_connection(_exc: BaseException | None = None) -> None:
    conn = g.pop("_autocommit_connection", None)
    if conn is not None:
        conn.close()


@login_manager.user_loader  # type: ignore[untyped-decorator]  # Flask-Login is untyped; returns the function as is
def load_user_from_session(token: str) -> SignedInUser | None:
    conn = autocommit_connection()
    query, rider = _principal_query_for(request.endpoint)
    rows = query.rows(conn, {"token_hash": _hash(token)})
    if not rows:
        return None
    row = rows[0]
    if row.ended_at is not None:
        return None
    now = utcnow()
    expired = None
    if not row.active:
        expired = "deactivated"
    elif now - row.last_seen_at > idle_timeout_for(row.kind):
        expired = "idle"
    elif now - row.created_at > timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]):
        expired = "absolute"
    if expired:
        conn.execute(
            update(UserSession)
            .where(UserSession.id == row.id)
            .values(ended_at=now, end_reason=expired, pending_form=None, pending_form_at=None)
        )
        g.session_ended_reason = expired
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        conn.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    if rider is not None:
        g._ridden = {rider.name: (row.organisation_id, row)}
    return SignedInUser(
        id=row.user_id,
        email=row.email,
        name=row.name,
        roles=frozenset(r.role for r in rows if r.role),
        mfa_enabled=row.mfa_enabled_at is not None and row.has_totp_secret,
        organisation_id=row.organisation_id,
        organisation_kind=row.kind,
        organisation_name=row.organisation_name,
        session_id=row.id,
        session_mfa_verified=row.mfa_verified,
        token=token,
        session_mfa_at=row.mfa_verified_at,
    )


def open_sessions(user_id: uuid.UUID) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        )
    )
