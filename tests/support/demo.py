"""The demo (`flask seed-demo`) for the tests that read it: seeded once per process and frozen moment, then put back.

Seeding the whole demo takes seconds (every document goes through the upload pipeline, every mark through the
attendance rules, every absence raises its alerts), and a dozen tests start from it. `seed_demo(app)` runs the real
command the first time in a process at a frozen moment, into empty tables, and keeps what it wrote: every row of
every table, as stored (ciphertext stays ciphertext), and the files it stored in the upload folder. The next test at
the same moment, again on empty tables, gets those rows and files back in a few hundred milliseconds: the same demo
the command would have made (its random ids and salts aside), with the same audit chain. With the clock not frozen,
ticking, or tables not empty, it always runs the command. Tests that check the command itself (its output, that a
second run adds nothing) run the command on top, as before.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory, freeze_factories
from sqlalchemy import Integer, Table, TypeDecorator, bindparam, func, insert, select, text, type_coerce
from sqlalchemy.types import TypeEngine

from shared.extensions import db

# The moment the demo tests are frozen at: a Wednesday in term (London on GMT), never the wall clock's day.
DEMO_MOMENT = "2026-12-02 10:00:00"


@dataclass
class _Snapshot:
    rows: dict[str, list[dict[str, Any]]]  # by table name, every column as stored
    files: dict[str, bytes]  # the upload folder's files, by path inside it


_snapshots: dict[tuple[str, str], _Snapshot] = {}


def seed_demo(app) -> None:
    """The demo in the app's (empty) database, as `flask seed-demo` leaves it."""
    moment = _frozen_moment()
    key = (app.config["SQLALCHEMY_DATABASE_URI"], moment or "")
    empty = _tables_empty(app)
    if moment is not None and empty and key in _snapshots:
        _restore(app, _snapshots[key])
        return
    result = app.test_cli_runner().invoke(None, ["seed-demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if moment is not None and empty and _frozen_moment() == moment:
        _snapshots[key] = _take(app)


def _frozen_moment() -> str | None:
    """The frozen time (freezegun, not ticking) as text, or None when the clock runs."""
    if not freeze_factories or not isinstance(freeze_factories[-1], FrozenDateTimeFactory):
        return None
    return datetime.now().isoformat()


def _stored_type(column) -> TypeEngine[Any]:
    """The column's type as the database stores it: a TypeDecorator's (encryption, UTC datetimes) underlying type, so
    values are copied as stored rather than decoded and encoded again."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)  # parents before children


def _tables_empty(app) -> bool:
    with app.app_context():
        counts = [select(func.count()).select_from(table).scalar_subquery() for table in _tables()]
        total = db.session.scalar(select(sum(counts[1:], counts[0])))
        db.session.remove()
    return not total


def _take(app) -> _Snapshot:
    rows: dict[str, list[dict[str, Any]]] = {}
    with app.app_context():
        for table in _tables():
            columns = [type_coerce(c, _stored_type(c)).label(c.name) for c in table.columns]
            found = [dict(row._mapping) for row in db.session.execute(select(*columns))]
            if found:
                rows[table.name] = found
        db.session.remove()
    folder = Path(app.config["UPLOAD_FOLDER"])
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return _Snapshot(rows, files)


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's rows with each row after the row of the same table it refers to (an organisation after its local
    authority): tables come parents first (metadata.sorted_tables), and a table that refers to itself needs this too."""
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]  # (referring column, referred column)
    if not links:
        return rows
    placed: set[tuple[str, Any]] = set()
    ordered: list[dict[str, Any]] = []
    waiting = list(rows)
    while waiting:
        ready = [
            row
            for row in waiting
            if all(
                row[column] is None or row[column] == row[referred] or (referred, row[column]) in placed
                for column, referred in links
            )
        ]
        assert ready, f"{table.name}: rows that refer to each other in a circle"
        for row in ready:
            ordered.append(row)
            placed.update((referred, row[referred]) for _column, referred in links)
        waiting = [row for row in waiting if row not in ready]
    return ordered


def _restore(app, snapshot: _Snapshot) -> None:
    with app.app_context():
        connection = db.session.connection()
        for table in _tables():
            found = snapshot.rows.get(table.name)
            if not found:
                continue
            values = {c.name: bindparam(c.name, type_=_stored_type(c)) for c in table.columns}
            connection.execute(insert(table).values(values), _parents_first(table, found))
            if connection.dialect.name == "postgresql":
                # Integer keys from a sequence: the sequence moves past the ids put back, as the inserts moved it
                # (a fixed integer key has no sequence: setval(NULL, ...) does nothing).
                for column in table.primary_key.columns:
                    if isinstance(_stored_type(column), Integer):
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                f"(SELECT max({column.name}) FROM {table.name}))"
                            )
                        ).all()
        db.session.commit()
        db.session.remove()
    folder = Path(app.config["UPLOAD_FOLDER"])
    shutil.rmtree(folder, ignore_errors=True)
    for name, content in snapshot.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
