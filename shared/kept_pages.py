"""Pages kept as HTML while nothing they show has changed (issue 16).

A provider's register and the local authority's placements are read many times between changes, and drawing one
(hundreds of rows and fields) costs ten times a light page. Their main content is kept, in this process, and given
again for as long as nothing it shows has changed; the page around it (the header, the menu, messages) is drawn
fresh on every request, as on any page.

"Nothing has changed" is the database's word, not a guess and not a time limit: every change to a table these pages
read writes a row to organisation_changes for each organisation whose pages could show it, in the same transaction
(triggers, migration 0021_kept_pages). The sum of an organisation's weights is read with the signed-in person, in the
same statement (a PrincipalRider on each kept page's endpoint), and is part of the key. It goes up with every change
committed and never comes back to an earlier value, so a copy is never given for data it was not drawn from: a copy
drawn while a change commits holds the newer data under the older sum, which only requests already under way can
still ask for.

The key also holds the page, the organisation, the person's roles and what the view says the content depends on
(the day, today, the filters). The form's CSRF token is the person's own: a copy holds a stand-in
(shared.security.CSRF_STAND_IN), and each request puts its own token in.

A restored database can bring an organisation's sum back to a value it had before with other data: restart the app
after restoring one (the README says so)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable, Sequence
from typing import Any, cast

from cachetools import LRUCache
from flask import Flask, current_app, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import ColumnElement, Label, Table, delete, func, insert, select

from shared.auth.sessions import PrincipalRider, ridden, ride_with_principal
from shared.extensions import begin_transaction_now, db
from shared.models import OrganisationChange
from shared.security import CSRF_STAND_IN, with_csrf_token

KEPT_CHARACTERS = 32 * 1024 * 1024  # kept in each process, all copies together (a register or the LA's list: ~110 KB)


def changes_column(organisation_id: ColumnElement[uuid.UUID] | uuid.UUID) -> ColumnElement[int]:
    """The sum of the organisation's changes (0 before its first)."""
    total = (
        select(func.sum(OrganisationChange.weight))
        .where(OrganisationChange.organisation_id == organisation_id)
        .scalar_subquery()
    )
    return func.coalesce(total, 0)


def _rider_columns(organisation_id: ColumnElement[uuid.UUID]) -> Sequence[Label[Any]]:
    return (changes_column(organisation_id).label("kept_changes"),)


CHANGES = PrincipalRider("kept_changes", _rider_columns)


def keep(endpoint: str) -> None:
    """The view at `endpoint` keeps its content: its organisation's changes are read with the principal."""
    ride_with_principal(endpoint, CHANGES)


def changes_of(organisation_id: uuid.UUID) -> int:
    row = ridden(CHANGES, organisation_id)
    if row is not None:
        return int(row.kept_changes)
    return int(db.session.scalar(select(changes_column(organisation_id))) or 0)


class KeptCopies:
    """The copies of one app in this process, by key (least recently used first out)."""

    def __init__(self, size: int = KEPT_CHARACTERS) -> None:
        self._copies: LRUCache[Hashable, str] = LRUCache(maxsize=size, getsizeof=len)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            return self._copies.get(key)

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._copies[key] = html

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._copies)


def init_app(app: Flask) -> None:
    app.extensions["kept_pages"] = KeptCopies()


def content(template: str, context: Callable[[], dict[str, Any]], *, depends_on: Hashable | None) -> Markup:
    """`template` (a page's main content, not a whole page) drawn with `context()`; with `depends_on` (what else than
    the organisation's data it shows: the day, the filters), the copy kept for it while nothing has changed.
    `depends_on` None (a form sent back with its errors) draws it every time and keeps nothing."""
    if depends_on is None:
        return Markup(render_template(template, **context()))  # noqa: S704 - drawn by Jinja with autoescape
    copies: KeptCopies = current_app.extensions["kept_pages"]
    person = current_user._get_current_object()
    organisation_id = person.organisation_id
    key = (template, organisation_id, changes_of(organisation_id), tuple(sorted(person.roles)), depends_on)
    html = copies.get(key)
    if html is None:
        html = render_template(template, **context(), csrf_token=lambda: CSRF_STAND_IN)
        copies.put(key, html)
    return Markup(with_csrf_token(html))  # noqa: S704 - drawn by Jinja with autoescape


def compact_changes() -> int:
    """Fold each organisation's changes into one row carrying their sum, so reading a sum stays one index entry or a
    few (the worker does it every minute). The sums are unchanged, in one transaction: a reader sees them before or
    after, never between. Two workers at once fold each row once (a row the other took is no longer there to take).
    Commits; returns how many organisations were folded."""
    table = cast(Table, OrganisationChange.__table__)
    begin_transaction_now()  # SQLite: one writer at a time, from the first read
    upto = db.session.scalar(select(func.max(table.c.id)))
    if upto is None:
        db.session.commit()
        return 0
    crowded = (
        select(table.c.organisation_id)
        .where(table.c.id <= upto)
        .group_by(table.c.organisation_id)
        .having(func.count() > 1)
    )
    taken = (table.c.id <= upto) & table.c.organisation_id.in_(crowded)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # One statement: the rows taken are the rows folded, whatever another worker takes meanwhile.
        gone = delete(table).where(taken).returning(table.c.organisation_id, table.c.weight).cte("gone")
        folded = select(gone.c.organisation_id, func.sum(gone.c.weight)).group_by(gone.c.organisation_id)
    else:
        folded = (
            select(table.c.organisation_id, func.sum(table.c.weight)).where(taken).group_by(table.c.organisation_id)
        )
    into = insert(table).from_select(["organisation_id", "weight"], folded).returning(table.c.organisation_id)
    organisations = len(db.session.execute(into).all())
    if not postgresql:
        db.session.execute(delete(table).where(taken))
    db.session.commit()
    return organisations
