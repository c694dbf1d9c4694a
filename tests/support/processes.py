"""The app as it runs in production, in processes of its own: web servers (`gunicorn wsgi:app`) and background workers
(`flask worker`, the command `make run` starts), each started from this checkout with an environment the test
gives, each in a process group of its own, and stopped by its own process id (never by name).

Used by tests/test_scale_out.py: two web servers and two workers against one PostgreSQL database and one Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from pathlib import Path

import redis
import requests

from shared.config import PROJECT_ROOT
from tests.support.services import free_port

HOST = "127.0.0.1"
READY_SECONDS = 30
STOP_SECONDS = 15
# Settings from the caller's shell that would change what runs; every process gets exactly what the test gives.
DROPPED = (
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "SECRET_KEY",
    "SAFEGUARDING_KEYS",
    "FLASK_DEBUG",
    "GUNICORN_CMD_ARGS",
    "INSTANCE_PATH",
    "UPLOAD_FOLDER",
    "MAIL_BACKEND",
    "MAIL_SERVER",
    "MAIL_PORT",
    "SMTP_HOST",
    "SMTP_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "S3_BUCKET",
    "S3_REGION",
    "S3_ENDPOINT_URL",
    "OUTBOX_SEND_AT_ONCE",
    "SIGN_IN_ACCOUNT_LIMIT",
    "SIGN_IN_IP_LIMIT",
)


def environment(settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST_")}
    env.update(FLASK_APP="wsgi", PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


class _Process:
    """A process in a group of its own, its output in a log file (shown when something goes wrong)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _check_running(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """`sig` to the process's group, KILL if it lingers, then KILL anything left in the group."""
        group = self.process.pid  # start_new_session: the process leads its own group
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(group, sig)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                self.process.wait(STOP_SECONDS)
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class WebServer(_Process):
    """`gunicorn -w 1 wsgi:app` on a free port of this machine."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"{HOST}:{self.port}", "--no-control-socket"]
        super().__init__(name, [*command, "wsgi:app"], env, log_dir)

    def wait_until_ready(self) -> None:
        """Until /healthz answers 200 (the database and Redis answer it)."""
        deadline = time.monotonic() + READY_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_running()
            try:
                response = requests.get(f"{self.url}/healthz", timeout=2)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except requests.RequestException as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {READY_SECONDS} s ({last}):\n{self.log_tail()}")


class Worker(_Process):
    """`python -m flask worker`: it execs huey_consumer on shared.worker (shared.tasks.WORKER_COMMAND)."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(name, [sys.executable, "-m", "flask", "worker"], env, log_dir)

    def wait_until_ready(self) -> None:
        """Until the consumer runs: `flask worker` has exec'd huey_consumer, which builds the app in its main thread
        and then starts its scheduler and worker threads."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self._check_running()
            try:
                consumer = b"huey_consumer" in Path(f"/proc/{self.process.pid}/cmdline").read_bytes()
                threads = len(list(Path(f"/proc/{self.process.pid}/task").iterdir()))
            except OSError:
                consumer, threads = False, 0
            if consumer and threads >= 5:  # the main thread, the scheduler and 4 workers
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not running after {READY_SECONDS} s:\n{self.log_tail()}")

    def stop_when_idle(self) -> None:
        """huey's graceful stop (SIGINT): the tasks it is running finish, then it exits."""
        self.stop(signal.SIGINT)


# --- Redis: a database of this test's own on the server at 127.0.0.1:6379 --------------------------------------------

REDIS_SERVER = "redis://127.0.0.1:6379"
CLAIM_KEY = "ap-portal-tests:claimed-by"
# Database 15 is tests/test_throttling.py's; 0 is where a developer's own data usually is.
CANDIDATE_DATABASES = range(1, 15)


def claim_redis_database(seconds: int = 600) -> str:
    """The URL of an empty Redis database, claimed for this test (a key that expires, so a test that died frees it):
    suites running at the same time on this machine each get one of their own."""
    token = uuid.uuid4().hex
    for number in CANDIDATE_DATABASES:
        url = f"{REDIS_SERVER}/{number}"
        client = redis.Redis.from_url(url)
        try:
            if client.set(CLAIM_KEY, token, nx=True, ex=seconds):
                if client.dbsize() == 1:
                    return url
                client.delete(CLAIM_KEY)  # someone's data is here: leave it alone
        finally:
            client.close()
    raise RuntimeError("no empty Redis database to claim on 127.0.0.1:6379 (databases 1 to 14 are in use)")


def release_redis_database(url: str) -> None:
    """Empty the database this test claimed (every key in it is the test's, the claim included)."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
