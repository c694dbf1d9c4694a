"""The layers, read from the source with `ast` (the import contracts in pyproject.toml say the rest):

- views are thin: no module under portal/views, school_admin/views or api/ touches the database session (db.session,
  db.engine) or imports shared.extensions.db; they call services (the convention is in shared/services/__init__.py).
  Loading an object from a URL id is shared/auth/tenancy.py's `*_or_404`, outside the views.
- services take plain values: no module under shared/services imports url_for, request, session, g or
  has_request_context from flask (current_app, for configuration, is fine).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW_DIRS = ("portal/views", "school_admin/views", "local_authority/views", "api")
FLASK_REQUEST_NAMES = frozenset({"url_for", "request", "session", "g", "has_request_context"})


def _modules(*folders: str) -> list[Path]:
    found = sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))
    assert found, f"no modules under {folders}"
    return found


def database_problems(source: str, filename: str = "<view>") -> list[str]:
    """What a view module does with the database that it should ask a service for, as 'file:line: what'."""
    problems = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "db" and node.attr in ("session", "engine"):
                problems.append((node.lineno, f"db.{node.attr} (call a service: see shared/services/__init__.py)"))
            elif node.value.id == "extensions" and node.attr == "db":
                problems.append((node.lineno, "extensions.db (call a service: see shared/services/__init__.py)"))
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "shared.extensions"
            and {alias.name for alias in node.names} & {"db", "*"}
        ):
            problems.append((node.lineno, "imports shared.extensions.db (views call services)"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(problems)]


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


def test_the_service_check_allows_current_app_and_nothing_else_of_the_request():
    assert flask_request_problems("from flask import current_app\n") == []
    source = "from flask import current_app, url_for, request\nimport flask\nx = flask.g\n"
    assert flask_request_problems(source, "s.py") == [
        "s.py:1: imports url_for from flask",
        "s.py:1: imports request from flask",
        "s.py:3: uses flask.g",
    ]


def test_the_browser_fixtures_are_defined_once():
    """Playwright's sync API allows one Chromium a process: a test module defining its own `chromium` (or live server)
    beside tests/support/browser_fixtures.py breaks every browser test that runs after it in the same process."""
    import re
    from pathlib import Path

    tests = Path(__file__).parent
    again = [
        f"{path.name}: {name}"
        for path in sorted(tests.glob("test_*.py"))
        for name in re.findall(r"^def (chromium|live_server|new_page)\(", path.read_text(encoding="utf-8"), re.M)
    ]
    assert again == []
