"""Background work on huey: SQLite storage locally (instance/huey.sqlite), Redis when REDIS_URL is set.

Run the worker with `flask worker` (`make run` starts it): huey_consumer on shared.worker, with WORKER_COMMAND.
Tasks open an app context of their own; tests point them at the test app with `use_app`.

Any number of workers may run, on any number of machines (each runs every periodic task on its own schedule):
- e-mail is safe as it is: each sender claims the outbox rows it sends (shared.notifications);
- the periodic jobs that decide who to tell (chase unmarked sessions, escalate concerns, chase notices, breaches, the
  daily evidence job) read what is due and then write that it was done, so two workers running one at the same
  moment would both tell. On PostgreSQL each takes a lock of its own in the database first (`_one_at_a_time`); a
  worker that finds it taken leaves that run to the worker holding it. SQLite is one machine and one worker.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

from shared.config import INSTANCE_PATH

log = logging.getLogger(__name__)


def _make_huey() -> Huey:
    url = os.environ.get("REDIS_URL")
    if url:
        return RedisHuey("ap-portal", url=url)
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("ap-portal", filename=str(INSTANCE_PATH / "huey.sqlite"))


huey = _make_huey()

# How the worker runs, in `make run`, `flask worker` and the benchmark alike: threads, so an e-mail handed over on
# commit is not queued behind a periodic job, and a queue polled at least every half second when idle (Redis
# blocks instead of polling).
WORKER_COMMAND = (
    "-m",
    "huey.bin.huey_consumer",
    "shared.worker.huey",
    "--workers",
    "4",
    "--worker-type",
    "thread",
    "--max-delay",
    "0.5",
    "--quiet",
)
_app: Flask | None = None


def use_app(app: Flask) -> None:
    global _app
    _app = app


def _flask_app() -> Flask:
    """The app the tasks run in: shared.worker builds it in the worker; tests hand theirs over with use_app. (Not
    built here: the web app imports this module to hand e-mails over, and must not import the app factory.)"""
    if _app is None:
        raise RuntimeError("No app for the worker's tasks: run the worker with `flask worker` (shared.worker)")
    return _app


@contextmanager
def _one_at_a_time(job: str) -> Iterator[bool]:
    """Whether this worker runs `job` now: on PostgreSQL, True for the one worker that takes the job's advisory lock
    (pg_try_advisory_xact_lock on a connection of its own, held until the job ends: released with that connection's
    transaction, so a worker that dies mid-job leaves no lock behind), False for any other while it runs. The job's
    own work commits on its usual session; a worker that starts after it sees what it committed. Other databases:
    always True."""
    from sqlalchemy import func, select

    from shared.extensions import db

    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(f"ap-portal-job:{job}".encode()).digest()[:8], "big", signed=True)
    # Closing the connection rolls its transaction back (the pool does so on return), and the lock goes with it.
    with db.engine.connect() as lock:
        taken = bool(lock.scalar(select(func.pg_try_advisory_xact_lock(key))))
        if not taken:
            log.info("job.skipped", extra={"job": job, "why": "another worker is running it"})
        yield taken


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox_task() -> tuple[int, int]:
    """The sweep: whatever the immediate path missed goes out within a minute (see shared.notifications)."""
    from shared.notifications import deliver_outbox

    app = _flask_app()
    with app.app_context(), app.test_request_context():
        return deliver_outbox()


@huey.task()
def send_outbox_task(retry_key: str | None = None) -> None:
    """E-mails handed over as soon as the transaction that queued them commits, and retries within seconds.
    Returns nothing, so huey keeps no result for it."""
    from shared.notifications import deliver_outbox

    if retry_key is not None:
        huey.get(retry_key)  # this retry has started: a later failure may schedule the next one
    app = _flask_app()
    with app.app_context(), app.test_request_context():
        deliver_outbox()


def send_outbox(delay: timedelta | None = None) -> None:
    """Run send_outbox_task now, or after `delay`. Of the senders that fail at once during an outage, only one
    schedules the retry for a given second."""
    if delay is None or delay <= timedelta(0):
        send_outbox_task()
        return
    seconds = max(1, round(delay.total_seconds()))
    retry_key = f"outbox-retry-{int(time.time()) + seconds}"
    if huey.put_if_empty(retry_key, "1"):
        send_outbox_task.schedule(args=(retry_key,), delay=seconds)


@huey.periodic_task(crontab(hour="6", minute="0"))
def daily_evidence_task() -> dict[str, int]:
    """Before the school day: expire lapsed evidence, send reminders, tell AP leads of providers at risk."""
    from shared.services.evidence.expiry import run_daily

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("daily-evidence") as mine:
        return run_daily() if mine else {}


@huey.periodic_task(crontab(minute="*"))
def chase_unmarked_task() -> int:
    """Every minute: a session still unmarked 15 minutes after its deadline tells the attendance lead and chases
    the provider (once per session)."""
    from shared.services.attendance.alerts import chase_unmarked

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("chase-unmarked") as mine:
        return chase_unmarked() if mine else 0


@huey.periodic_task(crontab(minute="*"))
def escalate_concerns_task() -> int:
    """Every minute: a concern no school DSL has acknowledged within CONCERN_ESCALATION_MINUTES of school hours
    goes to the headteacher and again to the DSLs."""
    from shared.services.safeguarding.concerns import escalate_unacknowledged

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("escalate-concerns") as mine:
        return escalate_unacknowledged() if mine else 0


@huey.periodic_task(crontab(minute="*"))
def chase_notices_task() -> int:
    """Every minute: notices the provider's DSL has not acknowledged are chased at their chase time (once each)."""
    from shared.services.safeguarding.notices import chase_unacknowledged

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("chase-notices") as mine:
        return chase_unacknowledged() if mine else 0


@huey.periodic_task(crontab(minute="*"))
def compact_changes_task() -> int:
    """Every minute: each organisation's changes (what its kept pages were drawn from) folded into one row."""
    from shared.kept_pages import compact_changes

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("compact-changes") as mine:
        return compact_changes() if mine else 0


@huey.periodic_task(crontab(minute="5"))
def record_breaches_task() -> int:
    """Every hour: a term of a provider's agreement rated red this half-term raises a breach for the AP lead (once
    per provider, term and half-term)."""
    from shared.services.agreements.breaches import record_all_breaches

    app = _flask_app()
    with app.app_context(), app.test_request_context(), _one_at_a_time("record-breaches") as mine:
        return record_all_breaches() if mine else 0
