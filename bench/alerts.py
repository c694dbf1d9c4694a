"""alert_email_p100_s and alert_after_outage_p100_s: how soon a placed pupil's absence reaches the social worker's
mail server, with the background worker running exactly as `make run` runs it.

On a PostgreSQL database of its own (`bench_alerts`; BENCH_ALERTS_DATABASE_URL picks another whose name contains
"bench"), emptied, migrated with `flask db upgrade` and seeded as bench/api.py seeds the marks API (one school, an
approved provider with an API token, 80 pupils placed every weekday in a term of past school days), each pupil
given a social worker with an address of their own. Then, all stopped whatever happens:

- a mail server in this process: aiosmtpd on a free port, recording when each message arrived (time.monotonic)
  and its To and Subject;
- the app under gunicorn (2 workers, bench/server.py), in a process group of its own;
- the worker, `python -m flask worker`: the command `make run` starts (it execs huey_consumer on shared.worker with
  shared.tasks.WORKER_COMMAND), with huey's queue in SQLite under INSTANCE_PATH as in `make run` (no REDIS_URL), in
  a process group of its own, stopped as a group;

the app and the worker with MAIL_BACKEND=smtp and the mail server's port. An absence is one POST /api/v1/marks for
one pupil and one session (absent, illness: only the pupil's social worker is e-mailed, by
shared.services.attendance.alerts.mark_recorded), on Wednesday 8 January 2025, a past school day of the term.

- `alert_email_p100_s`: 30 absences, one every 0.3 s; for each, the time from the HTTP answer arriving to the
  social worker's e-mail arriving at the mail server (below zero if it came before the answer); the longest
  (target <= 5 s) and the median (`alert_email_p50_s`, for context).
- `alert_after_outage_p100_s`: the mail server stopped (connections refused), 30 more absences (other pupils) over
  2 minutes, one every 4 s, the mail server started again on the same port: the time from its restart to the last
  of those e-mails arriving (target <= 30 s).
- `alert_email_missing`, `alert_after_outage_missing`: e-mails that had not arrived 150 s after the last answer, or
  180 s after the restart (target 0). A missing e-mail counts as the time it was waited for, so its p100 is then a
  lower bound, over its target.
- `alert_email_duplicates`, `alert_after_outage_duplicates`: e-mails that arrived more than once (one absence is
  one recipient: each pupil has a social worker of their own and is marked once), counted at the end (target 0).

`python -m bench.alerts` runs it alone, in about 2.5 minutes when every e-mail comes promptly (the outage alone is
2), longer while they do not (up to about 7).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bench import api
from bench.database import _create_if_missing, _flask, _reset_schema
from bench.errors import BenchError
from bench.metrics import Metric
from bench.server import HOST, STOP_TIMEOUT_SECONDS, Server, free_port
from bench.targets import at_most
from bench.workspace import Workspace
from shared.config import PROJECT_ROOT

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_alerts"
DAY = date(2025, 1, 8)  # a Wednesday of bench/api.py's term (no bank holiday), so nothing depends on today
SESSION = "AM"
ON_TIME_ABSENCES = 30
ON_TIME_SPACING_SECONDS = 0.3
ON_TIME_WAIT_SECONDS = 150  # after the last answer
OUTAGE_ABSENCES = 30
OUTAGE_SECONDS = 120
OUTAGE_SPACING_SECONDS = OUTAGE_SECONDS / OUTAGE_ABSENCES  # 4 s
OUTAGE_WAIT_SECONDS = 180  # after the restart
SETTLE_SECONDS = 10  # after the last expected e-mail: time for a second copy to show up
WORKER_READY_SECONDS = 60
SHOWN_OUTBOX_ROWS = 5  # of the missing e-mails' rows, printed to say why they are late
TARGET_P100_SECONDS = 5
TARGET_AFTER_OUTAGE_SECONDS = 30
# Settings from the caller's shell that would change what is measured: huey's queue (`make run` uses SQLite unless
# REDIS_URL is set) and the mail server.
DROPPED_VARIABLES = ("REDIS_URL", "SMTP_HOST", "SMTP_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD")


@dataclass(frozen=True)
class Pupil:
    placement_id: str
    address: str  # the pupil's social worker's, theirs alone


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the mail server had the whole message
    to: str
    subject: str


# --- the mail server ------------------------------------------------------------------------------------------------


class Sink:
    """aiosmtpd on one port for the whole run, stopped and started again on the same port; every message it
    accepts is recorded (the handler outlives each Controller)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: list[Arrival] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        at = time.monotonic()
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._changed:
            self.arrivals.append(Arrival(at, str(message["To"] or ""), str(message["Subject"] or "")))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        controller = Controller(self, hostname=HOST, port=self.port, server_hostname="alerts-bench", ready_timeout=10)
        try:
            controller.start()
        except (OSError, TimeoutError) as exc:
            raise BenchError(f"the mail server could not start on port {self.port}: {exc!r}") from exc
        self._controller = controller

    def stop(self) -> None:
        """Really stopped: the listening socket is closed, so a sender's connection is refused."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None
        try:
            socket.create_connection((HOST, self.port), timeout=2).close()
        except OSError:  # refused, as wanted
            return
        raise BenchError(f"the mail server still accepts connections on port {self.port} after stopping")

    def first_arrivals(self, addresses: set[str]) -> dict[str, Arrival]:
        with self._changed:
            found: dict[str, Arrival] = {}
            for arrival in self.arrivals:
                if arrival.to in addresses:
                    found.setdefault(arrival.to, arrival)
            return found

    def counts(self, addresses: set[str]) -> Counter[tuple[str, str]]:
        """Messages per (recipient, subject): one absence is one recipient here, so more than 1 is a duplicate."""
        with self._changed:
            return Counter((a.to, a.subject) for a in self.arrivals if a.to in addresses)

    def wait_for(self, addresses: set[str], deadline: float) -> None:
        """Until every address has had a message, or the deadline."""
        with self._changed:
            while time.monotonic() < deadline:
                if addresses <= {a.to for a in self.arrivals}:
                    return
                self._changed.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))


# --- the worker -----------------------------------------------------------------------------------------------------


class Worker:
    """`python -m flask worker`, as `make run` starts it, in a process group of its own (so a Ctrl-C reaches only the
    benchmark, which then stops the group); its output goes to a log file for when something goes wrong."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.log_path = log_dir / "alerts-worker.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "worker"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_ready(self) -> None:
        """Until the consumer runs: `flask worker` execs huey_consumer, which builds the app and imports every task's
        modules (shared.worker) in its main thread, then starts its scheduler thread and its workers."""
        pid = self.process.pid
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                consumer = b"huey_consumer" in Path(f"/proc/{pid}/cmdline").read_bytes()
                threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
            except OSError:
                consumer, threads = False, 0
            if consumer and threads >= 2:
                time.sleep(0.5)  # its worker threads start right after the scheduler
                return
            time.sleep(0.1)
        raise BenchError(f"the worker was not running after {WORKER_READY_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """TERM the process group (huey stops at once on TERM), KILL it if it lingers, then KILL anything left in it."""
        pgid = self.process.pid  # start_new_session: the worker leads its own group
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_SECONDS)
        with suppress(ProcessLookupError):  # a group with no process left is gone, and its id is not reused
            os.killpg(pgid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- the run --------------------------------------------------------------------------------------------------------


def run(workspace: Workspace) -> list[Metric]:
    started = time.monotonic()
    database_url = _fresh_database(workspace.env())
    app = api._app(workspace, database_url)  # in this process, only to seed
    with app.app_context():
        token, pupils = _seed()
    on_time, outage = pupils[:ON_TIME_ABSENCES], pupils[ON_TIME_ABSENCES : ON_TIME_ABSENCES + OUTAGE_ABSENCES]
    sink = Sink()
    env = _env(workspace, sink.port, database_url)
    with ExitStack() as stack:
        stack.callback(_dispose, app)
        sink.start()
        stack.callback(sink.stop)
        server = Server("alerts-app", "wsgi:app", env, workspace.dir)
        stack.callback(server.stop)
        worker = Worker(env, workspace.dir)
        stack.callback(worker.stop)  # first of the three: the callbacks run last in, first out
        try:
            server.wait_until_ready("/healthz")
            worker.wait_until_ready()
            print(
                f"  database, app, worker and mail server (port {sink.port}) ready in "
                f"{time.monotonic() - started:.0f} s",
                flush=True,
            )
            on_time_seconds, on_time_missing = _measure_on_time(server.port, token, on_time, sink)
            after_outage, outage_missing = _measure_outage(server.port, token, outage, sink)
            if on_time_missing or outage_missing:
                _show_outbox(database_url, {p.address for p in on_time_missing + outage_missing})
        except Exception:
            print(f"--- last lines of gunicorn ({server.name}) ---\n{server.log_tail()}", file=sys.stderr)
            print(f"--- last lines of the worker ---\n{worker.log_tail()}", file=sys.stderr)
            raise
    on_time_duplicates = _duplicates(sink, on_time)
    outage_duplicates = _duplicates(sink, outage)
    p100, p50 = max(on_time_seconds), statistics.median(on_time_seconds)
    bound = "at least " if on_time_missing else ""
    print(
        f"  on time: p50 {p50:.2f} s, p100 {bound}{p100:.2f} s, {len(on_time_missing)} missing, "
        f"{on_time_duplicates} duplicates; after the outage: {len(outage_missing)} missing, "
        f"{outage_duplicates} duplicates; {time.monotonic() - started:.0f} s in all",
        flush=True,
    )
    return [
        at_most("alert_email_p100_s", round(p100, 2), "s", TARGET_P100_SECONDS),
        Metric.informational("alert_email_p50_s", round(p50, 2), "s"),
        at_most("alert_email_missing", len(on_time_missing), "e-mails", 0),
        at_most("alert_email_duplicates", on_time_duplicates, "e-mails", 0),
        at_most("alert_after_outage_p100_s", round(after_outage, 2), "s", TARGET_AFTER_OUTAGE_SECONDS),
        at_most("alert_after_outage_missing", len(outage_missing), "e-mails", 0),
        at_most("alert_after_outage_duplicates", outage_duplicates, "e-mails", 0),
    ]


def _fresh_database(env: dict[str, str]) -> str:
    """BENCH_ALERTS_DATABASE_URL (or bench_alerts) emptied and migrated with `flask db upgrade`, as `make db` does."""
    url = make_url(os.environ.get("BENCH_ALERTS_DATABASE_URL", DEFAULT_URL))
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        raise BenchError("BENCH_ALERTS_DATABASE_URL must be a PostgreSQL database whose name contains 'bench'")
    try:
        _create_if_missing(url)
        _reset_schema(url)
    except OperationalError as exc:
        detail = str(exc.orig or exc).splitlines()[0]
        raise BenchError(f"the alerts benchmark needs PostgreSQL: {detail}") from exc
    rendered = url.render_as_string(hide_password=False)
    _flask(["db", "upgrade"], {**env, "DATABASE_URL": rendered})
    return rendered


def _seed() -> tuple[str, list[Pupil]]:
    """bench/api.py's school, provider, token and placements; each pupil with a social worker of their own."""
    from shared.extensions import db
    from shared.models import Placement

    if not api.TERM_START <= DAY <= api.TERM_END:
        raise BenchError(f"{DAY} is not in bench/api.py's term any more ({api.TERM_START} to {api.TERM_END})")
    _provider_id, token, first, second = api._seed()
    placement_ids = first + second
    if len(placement_ids) < ON_TIME_ABSENCES + OUTAGE_ABSENCES:
        raise BenchError(f"bench/api.py seeds {len(placement_ids)} placements: the alerts benchmark needs 60")
    placements = {p.id: p for p in db.session.scalars(select(Placement).where(Placement.id.in_(placement_ids)))}
    pupils = []
    for n, placement_id in enumerate(placement_ids):
        pupil = placements[placement_id].pupil
        pupil.social_worker_name = f"Social Worker {n:03d}"
        pupil.social_worker_email = f"social-worker-{n:03d}@alerts-bench.example"
        pupils.append(Pupil(str(placement_id), pupil.social_worker_email))
    db.session.commit()
    return token, pupils


def _env(workspace: Workspace, mail_port: int, database_url: str) -> dict[str, str]:
    """The app's and the worker's environment: the same for both, as `make run` gives them."""
    env = {k: v for k, v in workspace.env().items() if k not in DROPPED_VARIABLES}
    env.update(
        DATABASE_URL=database_url,
        MAIL_BACKEND="smtp",
        MAIL_SERVER=HOST,
        MAIL_PORT=str(mail_port),
        # huey's SQLite queue (INSTANCE_PATH/huey.sqlite), this benchmark's alone: no other benchmark's server
        # leaves tasks in it.
        INSTANCE_PATH=str(workspace.dir / "alerts-instance"),
    )
    return env


def _mark_absent(port: int, token: str, pupil: Pupil) -> float:
    """POST one absence; time.monotonic() when the whole answer had arrived."""
    body = json.dumps(
        {
            "marks": [
                {
                    "placement_id": pupil.placement_id,
                    "date": DAY.isoformat(),
                    "session": SESSION,
                    "mark": "absent",
                    "reason": "illness",
                }
            ]
        }
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", "/api/v1/marks", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        answered = time.monotonic()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"POST /api/v1/marks answered {response.status}: {data[:500]!r}")
    status = json.loads(data)["results"][0]["status"]
    if status != "created":
        raise BenchError(f"POST /api/v1/marks did not create the mark for {pupil.address} ({status})")
    return answered


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _measure_on_time(port: int, token: str, pupils: list[Pupil], sink: Sink) -> tuple[list[float], list[Pupil]]:
    """Seconds from each answer to its e-mail (a missing one: how long it was waited for), and the missing."""
    answered = {}
    for pupil in pupils:
        answered[pupil.address] = _mark_absent(port, token, pupil)
        time.sleep(ON_TIME_SPACING_SECONDS)
    deadline = max(answered.values()) + ON_TIME_WAIT_SECONDS
    sink.wait_for(set(answered), deadline)
    arrived = sink.first_arrivals(set(answered))
    missing = [p for p in pupils if p.address not in arrived]
    seconds = [
        arrived[p.address].at - answered[p.address] if p.address in arrived else deadline - answered[p.address]
        for p in pupils
    ]
    shown = sorted(arrived[p.address].at - answered[p.address] for p in pupils if p.address in arrived)
    if shown:
        print(
            f"  on time: {len(shown)} of {len(pupils)} e-mails in {shown[0]:.2f} to {shown[-1]:.2f} s "
            f"(median {statistics.median(shown):.2f} s)",
            flush=True,
        )
    if missing:
        print(f"  on time: {len(missing)} e-mails still missing {ON_TIME_WAIT_SECONDS} s after the last answer")
    return seconds, missing


def _measure_outage(port: int, token: str, pupils: list[Pupil], sink: Sink) -> tuple[float, list[Pupil]]:
    """Seconds from the mail server's restart to the last e-mail (a lower bound if any is missing), and the
    missing."""
    addresses = {p.address for p in pupils}
    sink.stop()
    stopped = time.monotonic()
    print(f"  mail server stopped; {len(pupils)} absences over {OUTAGE_SECONDS} s", flush=True)
    for n, pupil in enumerate(pupils):
        _sleep_until(stopped + n * OUTAGE_SPACING_SECONDS)
        _mark_absent(port, token, pupil)
    _sleep_until(stopped + OUTAGE_SECONDS)
    sink.start()
    restarted = time.monotonic()
    print("  mail server started again on the same port", flush=True)
    deadline = restarted + OUTAGE_WAIT_SECONDS
    sink.wait_for(addresses, deadline)
    arrived = sink.first_arrivals(addresses)
    missing = [p for p in pupils if p.address not in arrived]
    if not missing:
        time.sleep(SETTLE_SECONDS)  # a second copy of any of them would come now
        after = [a.at - restarted for a in arrived.values()]
        print(f"  after the outage: every e-mail {min(after):.2f} to {max(after):.2f} s after the restart")
        return max(after), missing
    print(f"  after the outage: {len(missing)} of {len(pupils)} e-mails still missing {OUTAGE_WAIT_SECONDS} s on")
    return deadline - restarted, missing


def _duplicates(sink: Sink, pupils: list[Pupil]) -> int:
    counts = sink.counts({p.address for p in pupils})
    return sum(n - 1 for n in counts.values())


def _show_outbox(database_url: str, addresses: set[str]) -> None:
    """Where the missing e-mails are in the outbox (attempts, next attempt, last error), to say why they are late."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT to_address, attempts, next_attempt_at, sent_at, last_error FROM outbox_emails "
                    "WHERE to_address = ANY(:addresses) ORDER BY created_at"
                ),
                {"addresses": sorted(addresses)},
            ).all()
    except SQLAlchemyError as exc:
        print(f"  (could not read the outbox: {exc.__class__.__name__})")
        return
    finally:
        engine.dispose()
    for to, attempts, next_attempt_at, sent_at, last_error in rows[:SHOWN_OUTBOX_ROWS]:
        print(f"    {to}: {attempts} attempts, next {next_attempt_at}, sent {sent_at}, last error {last_error}")
    if len(rows) > SHOWN_OUTBOX_ROWS:
        print(f"    ... and {len(rows) - SHOWN_OUTBOX_ROWS} more")
    if not rows:
        print("    (none of them is in the outbox)")


def _dispose(app) -> None:
    from shared.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _exit_on_signal(signum: int, _frame) -> None:
    """SIGTERM/SIGHUP as SystemExit, so the servers and the worker are still stopped (as bench/run.py does)."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        with Workspace() as workspace:
            for metric in run(workspace):
                print(f"{metric.name}: {metric.value:g} {metric.unit} (target {metric.target}, ok {metric.ok})")
    except BenchError as exc:
        print(f"bench: could not run: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench: interrupted (app, worker and mail server stopped)", file=sys.stderr)
        sys.exit(130)
