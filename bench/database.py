"""The benchmark's database: PostgreSQL when reachable (as in production), else a SQLite file, said so in the output.

The PostgreSQL database is a separate one (`ap_portal_bench` by default) whose schema is dropped and rebuilt by the
migrations on every run, then loaded with the demo data. The test suite's database is never written to: it is at
most used, like `postgres`, to issue CREATE DATABASE when the bench database does not exist yet.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from bench.errors import BenchError
from shared.config import PROJECT_ROOT

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ap_portal_bench"
ADMIN_DATABASES = ("postgres", "test")  # only to CREATE DATABASE; their contents are never touched
CONNECT_TIMEOUT_SECONDS = 3
FLASK_COMMAND_TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Database:
    url: str
    description: str  # printed, so a SQLite fallback is never mistaken for a PostgreSQL figure


def prepare(workdir: Path, env: dict[str, str]) -> Database:
    """Pick the database, empty it, run the migrations and load the demo data."""
    database = _choose(workdir)
    flask_env = {**env, "DATABASE_URL": database.url}
    _flask(["db", "upgrade"], flask_env)
    _flask(["seed-demo"], flask_env)
    return database


def _choose(workdir: Path) -> Database:
    url = make_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url.get_backend_name()}")
    if "bench" not in (url.database or ""):
        # Its schema is dropped on every run: refuse a name that could be the app's or the tests' database.
        raise BenchError(f"refusing to reset database {url.database!r}: its name must contain 'bench'")
    shown = url.render_as_string(hide_password=True)
    try:
        _create_if_missing(url)
        _reset_schema(url)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        path = workdir / "bench.sqlite"
        return Database(f"sqlite:///{path}", f"SQLite at {path} (FALLBACK: PostgreSQL {shown} unreachable: {reason})")
    return Database(url.render_as_string(hide_password=False), f"PostgreSQL {shown}")


def _engine(url: URL, **options):
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}, **options)


def _create_if_missing(url: URL) -> None:
    """CREATE DATABASE (outside a transaction) from the first administrative database that answers."""
    error: OperationalError | None = None
    for admin in ADMIN_DATABASES:
        engine = _engine(url.set(database=admin), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
                if not found:
                    quoted = engine.dialect.identifier_preparer.quote(url.database)
                    with contextlib.suppress(ProgrammingError):  # created meanwhile by another run
                        conn.execute(text(f"CREATE DATABASE {quoted}"))
            return
        except OperationalError as exc:
            error = exc
        finally:
            engine.dispose()
    assert error is not None
    raise error


def _reset_schema(url: URL) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _flask(args: list[str], env: dict[str, str]) -> None:
    """Run a `flask` command of the app in a subprocess, exactly as `make db` / `make seed` do."""
    command = [sys.executable, "-m", "flask", *args]
    try:
        done = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=FLASK_COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"flask {' '.join(args)} took more than {FLASK_COMMAND_TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise BenchError(f"flask {' '.join(args)} failed (exit {done.returncode}):\n{output}")
