"""Gunicorn servers started by the benchmark, and stopped by it whatever happens.

Each server is `gunicorn -w 2 -b 127.0.0.1:PORT MODULE:app` in its own process group, so a Ctrl-C at the terminal
reaches only the benchmark, which then stops the servers it started (and only those) by their process ids.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.errors import BenchError
from shared.config import PROJECT_ROOT

HOST = "127.0.0.1"  # the benchmark only ever talks to this machine
WORKERS = 2
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
# Gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default: the two servers of a run (and anyone
# else's gunicorn) would share that path, so the benchmark's servers go without one.
EXTRA_OPTIONS = ("--no-control-socket",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master and its workers, with the output kept in a log file for when something goes wrong."""

    def __init__(
        self,
        name: str,
        app_spec: str,
        env: dict[str, str],
        log_dir: Path,
        *,
        workers: int = WORKERS,
        options: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            *options,
            "-b",
            f"{HOST}:{self.port}",
            *EXTRA_OPTIONS,
            app_spec,
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_ready(self, path: str) -> None:
        """Poll `path` until it answers 200, so the first timed request does not meet a booting worker."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.name}) exited with {self.process.returncode}:\n{self.log_tail()}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                last = repr(exc)
            finally:
                conn.close()
            time.sleep(0.1)
        raise BenchError(
            f"gunicorn ({self.name}) not ready after {READY_TIMEOUT_SECONDS} s ({last}):\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """TERM the master (it stops its workers); KILL the process group we created if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT_SECONDS)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
