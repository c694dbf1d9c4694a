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

from sqlalchemy import event
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
