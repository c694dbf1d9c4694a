"""The layers, read from the source with `ast` (the import contracts in pyproject.toml say the rest):

- views are thin: no module under portal/views, school_admin/views or api/ touches the database session (db.session,
  db.engine) or imports shared.extensions.db; they call services (the convention is in shared/services/__init__.py).
  The tenancy helpers named `*_or_404` may still load their object here until they move to shared.auth.
- services take plain values: no module under shared/services imports url_for, request, session, g or
  has_request_context from flask (current_app, for configuration, is fine).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW_DIRS = ("portal/views", "school_admin/views", "api")
FLASK_REQUEST_NAMES = frozenset({"url_for", "request", "session", "g", "has_request_context"})
TENANCY_HELPER_SUFFIX = "_or_404"


def _modules(*folders: str) -> list[Path]:
    found = sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))
    assert found, f"no modules under {folders}"
    return found


class _DatabaseUses(ast.NodeVisitor):
    """Every use of the session (db.session, db.engine) and every import of shared.extensions.db, each with its
    line and whether it is inside a tenancy helper (a function named *_or_404)."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.uses: list[tuple[int, str, bool]] = []  # (line, what, inside a *_or_404)
        self.imports: list[tuple[int, str]] = []

    def _in_tenancy_helper(self) -> bool:
        return any(name.endswith(TENANCY_HELPER_SUFFIX) for name in self.functions)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Attribute(self, node: ast.Attribute) -> None:
        target = node.value
        if node.attr in ("session", "engine") and isinstance(target, ast.Name) and target.id == "db":
            self.uses.append((node.lineno, f"db.{node.attr}", self._in_tenancy_helper()))
        elif node.attr == "db" and isinstance(target, ast.Name) and target.id == "extensions":
            self.uses.append((node.lineno, "extensions.db", self._in_tenancy_helper()))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = {alias.name for alias in node.names}
        if node.module == "shared.extensions" and names & {"db", "*"}:
            self.imports.append((node.lineno, "imports shared.extensions.db"))
        self.generic_visit(node)


def database_problems(source: str, filename: str = "<view>") -> list[str]:
    """What a view module does with the database that it should ask a service for, as 'file:line: what'."""
    found = _DatabaseUses()
    found.visit(ast.parse(source, filename))
    problems = [
        f"{filename}:{line}: {what} (call a service: see shared/services/__init__.py)"
        for line, what, in_helper in found.uses
        if not in_helper
    ]
    # The import is there for the tenancy helpers only while every use is inside one of them.
    if found.imports and (problems or not found.uses):
        problems += [f"{filename}:{line}: {what} (views call services)" for line, what in found.imports]
    return sorted(problems, key=lambda p: int(p.split(":")[1]))


def flask_request_problems(source: str, filename: str = "<service>") -> list[str]:
    """Where a service module reaches for the request (or builds URLs), as 'file:line: what'."""
    problems = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "flask":
            for alias in node.names:
                if alias.name in FLASK_REQUEST_NAMES or alias.name == "*":
                    problems.append(f"{filename}:{node.lineno}: imports {alias.name} from {node.module}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in FLASK_REQUEST_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
        ):
            problems.append(f"{filename}:{node.lineno}: uses flask.{node.attr}")
    return problems


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_views_and_the_api_never_touch_the_database_session():
    problems = [
        problem
        for path in _modules(*VIEW_DIRS)
        for problem in database_problems(path.read_text(encoding="utf-8"), _relative(path))
    ]
    assert not problems, "Views call services, which query and commit:\n" + "\n".join(problems)


def test_services_never_read_the_request_or_build_urls():
    problems = [
        problem
        for path in _modules("shared/services")
        for problem in flask_request_problems(path.read_text(encoding="utf-8"), _relative(path))
    ]
    assert not problems, "Services take plain values (current_app is fine):\n" + "\n".join(problems)


# --- the checks themselves catch what they are for ------------------------------------------------------------------


def test_the_view_check_names_the_file_and_line_of_each_use():
    source = (
        "from shared.extensions import db\n"
        "def page():\n"
        "    rows = db.session.scalars(query)\n"
        "    db.session.commit()\n"
        "def raw():\n"
        "    return db.engine.connect()\n"
    )
    assert database_problems(source, "portal/views/x.py") == [
        "portal/views/x.py:1: imports shared.extensions.db (views call services)",
        "portal/views/x.py:3: db.session (call a service: see shared/services/__init__.py)",
        "portal/views/x.py:4: db.session (call a service: see shared/services/__init__.py)",
        "portal/views/x.py:6: db.engine (call a service: see shared/services/__init__.py)",
    ]


def test_the_view_check_lets_only_tenancy_helpers_load_their_object():
    helper_only = (
        "from shared.extensions import db\n"
        "def thing_of_mine_or_404(thing_id):\n"
        "    return db.session.get(Thing, thing_id)\n"
    )
    assert database_problems(helper_only) == []
    unused_import = "from shared.extensions import db\n"
    assert database_problems(unused_import, "api/x.py") == [
        "api/x.py:1: imports shared.extensions.db (views call services)"
    ]
    helper_and_view = helper_only + "def page():\n    db.session.commit()\n"
    assert [p.split(": ", 1)[0] for p in database_problems(helper_and_view, "v.py")] == ["v.py:1", "v.py:5"]


def test_the_service_check_allows_current_app_and_nothing_else_of_the_request():
    assert flask_request_problems("from flask import current_app\n") == []
    source = "from flask import current_app, url_for, request\nimport flask\nx = flask.g\n"
    assert flask_request_problems(source, "s.py") == [
        "s.py:1: imports url_for from flask",
        "s.py:1: imports request from flask",
        "s.py:3: uses flask.g",
    ]
