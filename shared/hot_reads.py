"""The few fixed reads made on almost every request (the signed-in principal, the headteacher's counts), run with
less machinery on PostgreSQL.

A one-row SELECT through SQLAlchemy Core costs about twice what psycopg itself takes: the execution context, the
result's metadata and row processors are built on every call, even with the compiled SQL cached. A `HotRead` is
an ordinary SQLAlchemy statement with named bound parameters. Its first run on a connection goes through Core,
and what Core sends to the driver (the SQL and every parameter, constants included, after SQLAlchemy's own type
processing) is kept. Later runs send exactly that through psycopg's cursor, with the caller's values in place.

This happens only where it is safe: a caller's parameter that SQLAlchemy would have changed on the way to the
driver makes that read go through Core every time. The rows come back as named tuples with the statement's
column names, and listeners on the connection's `before_cursor_execute` (statement counts) still see each
statement. Columns whose Core type turns the driver's value into something else (an enum) are declared with
their conversion, and tests/test_hot_reads.py holds each read's rows equal to Core's.

On SQLite, or any other driver, every run goes through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Select, event


@dataclass(frozen=True)
class _Sent:
    sql: str
    constants: dict[str, Any]  # every parameter the SQL takes other than the caller's, as Core sent it


class HotRead:
    def __init__(self, statement: Select[Any], convert: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        self.statement = statement
        self.convert = dict(convert or {})
        self._sent: _Sent | None = None
        self._core_only = False
        self._row: Callable[[Sequence[Any]], Any] | None = None  # psycopg's named tuple maker for the rows

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        """Every row, each with the statement's column names as attributes."""
        if conn.dialect.driver != "psycopg" or self._core_only:
            return list(conn.execute(self.statement, params).all())
        if self._sent is None:
            return self._first(conn, params)
        cursor = cast(psycopg.Connection[Any], conn.connection.driver_connection).cursor()
        sent = {**self._sent.constants, **params}
        # Listeners on the connection (the tests' and the benchmark's statement counts) still see the statement.
        conn.dispatch.before_cursor_execute(conn, cursor, self._sent.sql, sent, None, False)
        try:
            cursor.execute(self._sent.sql, sent)
            if self._row is None:  # the statement's columns never change: one named tuple class for its rows
                self._row = namedtuple_row(cursor)
            make = self._row
            rows: list[Any] = [make(values) for values in cursor.fetchall()]
        finally:
            cursor.close()
        if self.convert:
            rows = [
                row._replace(**{name: convert(getattr(row, name)) for name, convert in self.convert.items()})
                for row in rows
            ]
        return rows

    def _first(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        """Through Core, keeping what it sent; the caller's values must have reached the driver unchanged."""
        seen: dict[str, Any] = {}

        def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            seen.setdefault("sql", statement)
            seen.setdefault("parameters", parameters)

        event.listen(conn, "before_cursor_execute", keep)
        try:
            rows = list(conn.execute(self.statement, params).all())
        finally:
            event.remove(conn, "before_cursor_execute", keep)
        sent = seen.get("parameters")
        if not isinstance(sent, Mapping) or any(
            name not in sent or sent[name] is not value for name, value in params.items()
        ):
            self._core_only = True  # SQLAlchemy processes a caller's value (or sends positional parameters)
        else:
            constants = {name: value for name, value in sent.items() if name not in params}
            self._sent = _Sent(str(seen["sql"]), constants)
        return rows
