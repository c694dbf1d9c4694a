"""What a run shares between benchmarks: a temporary directory, the app's environment, the database and servers.

Closing the workspace stops every server it started and removes the directory, even when a benchmark fails.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import database
from bench.server import Server

# Settings from the caller's shell that would change what is measured (debug mode, gunicorn flags, https-only cookies).
DROPPED_VARIABLES = ("FLASK_DEBUG", "GUNICORN_CMD_ARGS", "SESSION_COOKIE_SECURE", "DATABASE_URL", "UPLOAD_FOLDER")


class Workspace:
    def __init__(self) -> None:
        self._stack = ExitStack()
        self._servers: list[Server] = []
        self._database: database.Database | None = None
        self._hello: Server | None = None
        self.dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="ap-portal-bench-")))
        self._secret_key = secrets.token_urlsafe(48)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and issubclass(exc_type, Exception):  # not for Ctrl-C or SIGTERM
            for server in self._servers:
                print(f"--- last lines of gunicorn ({server.name}) ---\n{server.log_tail()}", file=sys.stderr)
        self._stack.close()

    def env(self) -> dict[str, str]:
        """The environment of the app's processes: development mode (cookies not https-only over http), quiet logs."""
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARIABLES}
        env.update(
            FLASK_APP="wsgi",
            SECRET_KEY=self._secret_key,
            APP_ENV="development",
            LOG_LEVEL="WARNING",
            MAIL_BACKEND="console",
            MAIL_FOLDER=str(self.dir / "mail"),
            INSTANCE_PATH=str(self.dir / "instance"),
            UPLOAD_FOLDER=str(self.dir / "uploads"),
        )
        if self._database is not None:
            env["DATABASE_URL"] = self._database.url
        return env

    def database(self) -> database.Database:
        """Prepared once per run (migrations and demo data), on first use."""
        if self._database is None:
            self._database = database.prepare(self.dir, self.env())
            print(f"database: {self._database.description}", flush=True)
        return self._database

    def serve(self, name: str, app_spec: str, *, ready_path: str, env: dict[str, str] | None = None) -> Server:
        """Start gunicorn on `app_spec` and wait until `ready_path` answers; it is stopped when the run ends. `env`
        adds to (or overrides) the app's environment, e.g. another DATABASE_URL."""
        server = Server(name, app_spec, {**self.env(), **(env or {})}, self.dir)
        self._servers.append(server)
        self._stack.callback(server.stop)
        server.wait_until_ready(ready_path)
        return server

    def hello(self) -> Server:
        """The bare Flask "hello" app under gunicorn (bench/hello.py), started once a run: every ratio against hello
        is measured against the same server."""
        if self._hello is None:
            self._hello = self.serve("hello", "bench.hello:app", ready_path="/")
        return self._hello
