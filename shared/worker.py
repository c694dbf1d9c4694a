"""The worker's entry point: `huey_consumer shared.worker.huey` (see WORKER_COMMAND in shared.tasks).

The consumer imports this module in its main thread before it starts its worker threads, so the app is built and
every module a task needs is imported here, once. Tasks import lazily (shared.tasks is imported by the web app
too); several threads running their first import of the same modules at once breaks Python's imports half-way.
"""

from __future__ import annotations

from shared import tasks
from shared.app import create_app
from shared.notifications import deliver_outbox
from shared.services.agreements.breaches import record_all_breaches
from shared.services.attendance.alerts import chase_unmarked
from shared.services.evidence.expiry import run_daily
from shared.services.safeguarding.concerns import escalate_unacknowledged
from shared.services.safeguarding.notices import chase_unacknowledged

tasks.use_app(create_app())
huey = tasks.huey

__all__ = [
    "chase_unacknowledged",
    "chase_unmarked",
    "deliver_outbox",
    "escalate_unacknowledged",
    "huey",
    "record_all_breaches",
    "run_daily",
]
