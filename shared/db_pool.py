"""A pooled PostgreSQL connection the server has closed is replaced before it is used, without a round trip.

SQLAlchemy's `pool_pre_ping` sends a query on every checkout: a round trip to the database on every request (and a
second on a request that also uses the ORM's session), a sixth of a light page's time under load. The same
protection costs one system call: a healthy idle connection has nothing to read, while one the server closed (a
restart, an administrator's command, a proxy that cut it) is readable, at end of file or with the server's last
error message. A connection found so is discarded and the pool opens a new one (a `checkout` listener raising
DisconnectionError is SQLAlchemy's documented way to ask for that).

What this cannot see is a connection dropped silently in a network between app and database (no end of file
ever arrives): DB_POOL_PRE_PING=1 adds SQLAlchemy's round trip for a deployment with such a network.
"""

from __future__ import annotations

import select
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection is already closed or broken, or its socket has something to read (which
    for an idle connection means the server has closed it or is about to)."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - a connection that cannot say its socket is of no use
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _check_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the database server closed this pooled connection")


def check_pooled_connections(engine: Engine) -> None:
    """Look at each PostgreSQL connection's socket as it leaves the pool (SQLite has no socket)."""
    if engine.dialect.name == "postgresql" and not event.contains(engine.pool, "checkout", _check_on_checkout):
        event.listen(engine.pool, "checkout", _check_on_checkout)


def init_autocommit_engine(app: Flask, engine: Engine) -> None:
    """PostgreSQL: a pool of connections opened in autocommit, for the request's small reads outside the ORM (the
    signed-in principal: shared.auth.sessions.autocommit_connection), beside the ORM's pool (`engine`).

    Taking a connection from the ORM's pool and switching it to autocommit costs its isolation level set on the
    way out and reset on the way back, and a rollback: about 60 µs of a 1.5 ms request, on every signed-in request.
    These connections are opened in autocommit once and given back as they are (an autocommit connection has no
    transaction to roll back). They are opened like the ORM's (the same URL and options, and each checked on its way
    out of the pool as above), and every statement on them is also seen by listeners on `engine` (statement counts).
    SQLite keeps one pool: an in-memory database would be another database in another pool."""
    if engine.dialect.name != "postgresql":
        return
    options = {
        key: value
        for key, value in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
        if key in ("pool_pre_ping", "pool_recycle", "connect_args", "pool_size", "max_overflow", "pool_timeout")
    }
    autocommit = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **options)
    check_pooled_connections(autocommit)

    @event.listens_for(autocommit, "before_cursor_execute")
    def _seen_by_engine_listeners(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        engine.dispatch.before_cursor_execute(conn, cursor, statement, parameters, context, executemany)

    app.extensions["autocommit_engine"] = autocommit
