"""Parts of pages drawn from a few values alone, and kept per process for those values.

Drawing a template costs far more than looking up what it drew last time, and a few parts of every page are the same
for everyone with the same values: the page chrome (shared.page_chrome) and the homes' "Needs your attention" list.
Each such part is a template named in DRAWN with the names it is drawn from. `drawing` draws it from exactly those
values (nothing else is in its context but the few PURE_GLOBALS, which are functions of their arguments and the app
alone) and keeps the result, keyed by the template and the values. tests/test_drawings.py holds each template to
its names, so nothing a request knows beyond those values (who is signed in, their session, the request) can reach
a drawing given to another request. Values must be hashable: the key is the values themselves, not a summary.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

# Each kept template and the names it is drawn from.
DRAWN: dict[str, frozenset[str]] = {
    "chrome/_top.html": frozenset(
        {
            "title",
            "has_errors",
            "school_name",
            "side_name",
            "home_url",
            "stylesheet_url",
            "menu_html",
            "sign_out_url",
            "nonce",
            "csrf_token",
        }
    ),
    "chrome/_bottom.html": frozenset({"school_name", "script_url", "nonce"}),
    "attention/_task_list.html": frozenset({"rows", "quiet_line"}),
    "school_admin/_home.html": frozenset({"caption", "tasks"}),
}
# Globals a kept template may call: each answers from its arguments and the app's own set-up (its URL map) alone.
PURE_GLOBALS = frozenset({"link_path"})
KEPT_DRAWINGS = 1024  # a drawing is a few KB: a few MB a process at most


def init_app(app: Flask) -> None:
    app.extensions["drawings"] = lru_cache(maxsize=KEPT_DRAWINGS)(partial(_draw, app))


def drawing(template: str, **values: Hashable) -> str:
    """`template` (one of DRAWN) drawn from `values` (exactly its names): drawn once per process for them."""
    # Markup and a plain string of the same text are equal, yet draw differently (a plain one is escaped): which one
    # a value is belongs in the key.
    key = tuple(sorted((name, value, isinstance(value, Markup)) for name, value in values.items()))
    drawn: str = current_app.extensions["drawings"](template, key)
    return drawn


def _draw(app: Flask, template: str, values: tuple[tuple[str, Any, bool], ...]) -> str:
    context = {name: value for name, value, _markup in values}
    if set(context) != DRAWN[template]:
        raise TypeError(f"{template} is drawn from {sorted(DRAWN[template])}, not {sorted(context)}")
    return app.jinja_env.get_template(template).render(context)


def task_list(tasks: Sequence[Any], now: datetime, quiet_line: str) -> Markup:
    """The homes' "Needs your attention" list (shared.services.attention.tasks.Task, most urgent first), each task
    with how long its oldest has waited at `now`, or `quiet_line` when there is none."""
    rows = tuple((task, task.age(now)) for task in tasks)
    drawn = drawing("attention/_task_list.html", rows=rows, quiet_line=quiet_line if not rows else None)
    return Markup(drawn)  # noqa: S704 - drawn by Jinja with autoescape
