"""Alerts within seconds, still durable (issue 12): an e-mail is handed to the worker as soon as the transaction
that queued it commits; safeguarding and attendance alerts go before routine mail, with no cap that can hold them
back; a mail server that cannot be reached is tried again within 30 seconds, and when it answers everything that
waited goes at once, each e-mail exactly once; a queue that is down loses nothing (the sweep sends it).

Time is frozen or moved by hand (freezegun); the mail server and the queue are real servers, stopped for real."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from freezegun import freeze_time
from huey import RedisHuey
from sqlalchemy import select

from shared import tasks
from shared.extensions import db
from shared.models import Concern, OutboxEmail, ProviderStatus
from shared.notifications import RETRY_SECONDS, deliver_outbox, queue_email
from shared.services.attendance.alerts import deliveries
from tests.support import database, legacy
from tests.support.app import make_app
from tests.support.mail import MailBox
from tests.support.services import free_port
from tests.support.world import World

MONDAY_MORNING = "2026-11-30 09:20:00"
SOCIAL_WORKER = "social.worker@demo-la.example"


@pytest.fixture
def send_at_once(app, monkeypatch):
    """The app as `make run` runs it: e-mails handed to the worker on commit. huey runs each task at once in this
    process (its immediate mode), so a test sees what the worker would do the moment it is asked."""
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", True)
    tasks.use_app(app)
    tasks.huey.immediate = True
    yield
    tasks.huey.immediate = False


@pytest.fixture
def placed_pupil(world):
    school = world.school("Demo Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh", social_worker_email=SOCIAL_WORKER)
    placement = world.placement(school, provider, pupil)
    _, token = world.api_token(provider)
    return {"school": school, "provider": provider, "placement": placement, "token": token}


def _mark_absent(app, setting):
    mark = {"placement_id": str(setting["placement"]), "date": "2026-11-30", "session": "AM", "mark": "absent"}
    return app.test_client().post(
        "/api/v1/marks",
        json={"marks": [{**mark, "reason": "illness"}]},
        headers={"Authorization": f"Bearer {setting['token']}"},
    )


def _outbox(app) -> list[OutboxEmail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at)))
        db.session.expunge_all()
        return rows


# --- handed over on commit ---------------------------------------------------------------------------------------


@freeze_time(MONDAY_MORNING)
def test_an_absence_emails_the_social_worker_by_the_time_the_mark_is_answered(app, placed_pupil, mailbox, send_at_once):
    response = _mark_absent(app, placed_pupil)

    assert response.status_code == 200, response.json
    # Nobody ran deliver_outbox or the sweep: the commit handed the e-mail over.
    (message,) = mailbox.to(SOCIAL_WORKER)
    assert "Jayden Walsh was absent from Northside Learning" in mailbox.body(message)
    (row,) = _outbox(app)
    assert row.sent_at is not None and row.attempts == 1


def test_the_escalation_goes_out_in_the_minute_it_falls_due(app, world, mailbox, send_at_once):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    placement = world.placement(school, provider, world.pupil(school))
    world.user(school, ["headteacher", "dsl"], email="head@hillside.example")
    world.user(school, ["dsl"], email="dsl@hillside.example")
    concern_id = world.concern(placement, sent_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))

    with freeze_time("2026-11-30 10:30:00"):
        assert tasks.escalate_concerns_task.call_local() == 1

    # Sent by the task's own commit, not a minute later by the sweep; the head who is also a DSL gets one e-mail.
    assert len(mailbox.to("head@hillside.example")) == 1
    assert len(mailbox.to("dsl@hillside.example")) == 1
    with app.app_context():
        assert db.session.get(Concern, concern_id).escalated_at is not None


def test_a_periodic_job_another_worker_is_running_is_left_to_it(app, world, mailbox, send_at_once):
    """Every worker runs the periodic jobs on its own schedule; on PostgreSQL the one that takes the job's lock runs it
    and another finds it taken and does nothing (tests/test_scale_out.py runs two real workers). SQLite is one
    machine and one worker: no lock."""
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    world.user(school, ["headteacher", "dsl"], email="head@hillside.example")
    world.concern(world.placement(school, provider), sent_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))

    with app.app_context():
        on_postgresql = db.engine.dialect.name == "postgresql"
        with freeze_time("2026-11-30 10:30:00"), tasks._one_at_a_time("escalate-concerns") as mine:
            assert mine  # this is the other worker, running the job
            assert tasks.escalate_concerns_task.call_local() == (0 if on_postgresql else 1)
        with freeze_time("2026-11-30 10:31:00"):
            assert tasks.escalate_concerns_task.call_local() == (1 if on_postgresql else 0)

    assert len(mailbox.to("head@hillside.example")) == 1


@freeze_time(MONDAY_MORNING)
def test_with_the_queue_down_the_mark_is_still_saved_and_the_sweep_sends_its_email(
    app, placed_pupil, mailbox, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", True)
    # The worker's queue is a Redis nobody answers on: handing over fails after the commit.
    monkeypatch.setattr(tasks, "huey", RedisHuey("ap-portal-test", url=f"redis://127.0.0.1:{free_port()}/0"))

    response = _mark_absent(app, placed_pupil)

    assert response.status_code == 200, response.json
    assert mailbox.to(SOCIAL_WORKER) == []
    (row,) = _outbox(app)
    assert row.sent_at is None  # kept: the durable record
    with app.app_context():
        assert deliver_outbox() == (1, 0)  # what the one-minute sweep runs
    assert len(mailbox.to(SOCIAL_WORKER)) == 1


# --- urgent first, no cap ------------------------------------------------------------------------------------------


def test_an_urgent_email_goes_before_routine_ones_queued_earlier_and_nothing_waits_for_the_next_minute(app, mailbox):
    with app.app_context():
        for n in range(250):
            queue_email(f"parent{n}@example.test", "Your evidence expires soon", "Routine")
        db.session.commit()
        queue_email("dsl@school.example", "A safeguarding concern is waiting for you", "Urgent", urgent=True)
        db.session.commit()

        assert deliver_outbox() == (251, 0)  # one run sends the lot: no fixed number a minute

    assert mailbox.messages[0]["To"] == "dsl@school.example"
    assert len({m["To"] for m in mailbox.messages}) == 251


# --- a mail server that goes away ----------------------------------------------------------------------------------


class _Server:
    """A real SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.box = MailBox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def flaky_mail(app, database_url, tmp_path):
    """A second app on the same (migrated, emptied after the test) database, whose mail server starts stopped."""
    server = _Server()
    app = make_app(database_url, server.port, tmp_path)
    yield app, server
    server.stop()


def test_after_an_outage_every_email_goes_within_thirty_seconds_exactly_once(flaky_mail):
    app, server = flaky_mail
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    addresses = [f"worker{n}@la.example" for n in range(3)]
    with app.app_context(), freeze_time(start) as clock:
        for address in addresses:
            queue_email(address, "Absence from alternative provision", "Urgent", urgent=True)
        db.session.commit()

        # Down: one e-mail is tried, the others wait for the same retry without a wasted try each.
        assert deliver_outbox() == (0, 1)
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.to_address)).all()
        assert sorted(row.attempts for row in rows) == [0, 0, 1]
        assert {row.failure for row in rows} == {"unreachable"}
        assert {row.next_attempt_at for row in rows} == {start + timedelta(seconds=RETRY_SECONDS[0])}

        # Two minutes down, two more e-mails queued on the way, the worker trying whenever the next retry falls due:
        # the gap between tries grows to 30 seconds and never beyond.
        gaps = []
        now = start
        while now < start + timedelta(minutes=2):
            due = _next_due()
            gaps.append((due - now).total_seconds())
            now = due
            clock.move_to(now)
            if len(addresses) == 3 and now >= start + timedelta(minutes=1):
                addresses += ["late1@la.example", "late2@la.example"]
                for address in addresses[3:]:
                    queue_email(address, "Absence from alternative provision", "Urgent", urgent=True)
                db.session.commit()
            assert deliver_outbox() == (0, 1)
        assert gaps[:4] == [5, 10, 20, 30] and max(gaps) == 30 and len(addresses) == 5

        # Back: the next try (at most 30 s later) sends every waiting e-mail in the same run.
        back = now + timedelta(seconds=1)
        server.start()
        due = _next_due()
        assert due - back <= timedelta(seconds=30)
        clock.move_to(due)
        assert deliver_outbox() == (5, 0)
        assert deliver_outbox() == (0, 0)
        db.session.remove()

    assert sorted(m["To"] for m in server.box.messages) == sorted(addresses)  # every one, exactly once


def _next_due() -> datetime:
    return db.session.scalar(
        select(OutboxEmail.next_attempt_at).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.next_attempt_at)
    )


def test_while_the_mail_server_is_down_the_worker_books_its_own_retry(flaky_mail, monkeypatch):
    app, server = flaky_mail
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", True)
    tasks.use_app(app)
    tasks.huey.immediate = True
    try:
        with app.app_context():
            before = datetime.now(UTC).replace(tzinfo=None)  # huey's clock: naive UTC
            queue_email("worker@la.example", "Absence from alternative provision", "Urgent", urgent=True)
            db.session.commit()  # handed over at once: the server is down, so the try fails
            (row,) = db.session.scalars(select(OutboxEmail)).all()
            assert (row.attempts, row.failure, row.sent_at) == (1, "unreachable", None)
            (retry,) = tasks.huey.scheduled()  # the worker's next try, 5 seconds on: not the one-minute sweep
            assert retry.name.endswith("send_outbox_task")
            assert timedelta(seconds=4) <= retry.eta - before <= timedelta(seconds=6)

            server.start()
            with freeze_time(row.next_attempt_at):
                tasks.huey.execute(retry, timestamp=retry.eta)  # what the worker does at the booked second
            db.session.refresh(row)
            assert row.sent_at is not None
            db.session.remove()
    finally:
        tasks.huey.immediate = False
    assert [m["To"] for m in server.box.messages] == ["worker@la.example"]


def test_a_refused_address_does_not_hold_up_the_rest(app, database_url, tmp_path):
    class Refusing(MailBox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("bounce"):
                return "550 No such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    box = Refusing()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(database_url, controller.port, tmp_path)
        with app.app_context(), freeze_time(MONDAY_MORNING):
            for address in ("first@example.test", "bounce@example.test", "last@example.test"):
                queue_email(address, "Something is waiting", "Hello")
            db.session.commit()
            assert deliver_outbox() == (2, 1)
            refused = db.session.scalars(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).one()
            assert refused.failure == "rejected" and refused.gave_up_at is None
            assert refused.next_attempt_at == datetime(2026, 11, 30, 9, 21, tzinfo=UTC)  # a minute: not hammered
            db.session.remove()
    finally:
        controller.stop()
    assert sorted(m["To"] for m in box.messages) == ["first@example.test", "last@example.test"]


def test_an_email_still_failing_a_day_after_its_first_try_is_given_up_and_the_school_sees_it(flaky_mail):
    app, _ = flaky_mail  # the server never starts
    with app.app_context():
        with freeze_time("2026-11-30 09:00:00"):
            queue_email("worker@la.example", "Absence from alternative provision", "Urgent", urgent=True)
            db.session.commit()
            assert deliver_outbox() == (0, 1)
        with freeze_time("2026-12-01 08:59:59"):
            assert deliver_outbox() == (0, 1)
            assert db.session.scalars(select(OutboxEmail)).one().gave_up_at is None
        with freeze_time("2026-12-01 09:00:30"):
            assert deliver_outbox() == (0, 1)
            row = db.session.scalars(select(OutboxEmail)).one()
            assert row.gave_up_at is not None and row.attempts == 3
        with freeze_time("2026-12-01 10:00:00"):
            assert deliver_outbox() == (0, 0)  # not tried again
        db.session.remove()


# --- the migration -------------------------------------------------------------------------------------------------


def test_the_migration_links_each_alerts_emails_marks_them_urgent_and_downgrade_restores_them(
    tmp_path, smtp_server, database_url
):
    from flask_migrate import downgrade, upgrade

    scratch = make_app(database.scratch_url(database_url, tmp_path), smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0013")
        school = legacy.school("Old School")
        # The pupils table is as it was at 0013 (the model's own writes are right for it); placements are not.
        provider, pupil = legacy.provider(school, status="approved"), World(scratch).pupil(school)
        placement = SimpleNamespace(
            id=legacy.placement(school, provider, pupil), school_id=school, provider_id=provider, pupil_id=pupil
        )
        alert_id, alert_email, routine, abandoned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        db.session.execute(
            sa.table(
                "attendance_alerts",
                *(sa.column(c, sa.Uuid()) for c in ("id", "placement_id", "school_id", "provider_id", "pupil_id")),
                *(sa.column(c) for c in ("kind", "day", "session", "raised_at")),
            )
            .insert()
            .values(
                id=alert_id,
                placement_id=placement.id,
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                pupil_id=placement.pupil_id,
                kind="absence",
                day=date(2026, 11, 30),
                session="AM",
                raised_at=datetime(2026, 11, 30, 9, 20, tzinfo=UTC),
            )
        )
        outbox = sa.table(
            "outbox_emails",
            *(sa.column(c, sa.Uuid()) for c in ("id", "alert_id")),
            *(sa.column(c) for c in ("to_address", "subject", "body", "created_at", "attempts", "next_attempt_at")),
        )
        at = datetime(2026, 11, 30, 9, 20, tzinfo=UTC)
        for email_id, alert, attempts in ((alert_email, alert_id, 1), (routine, None, 0), (abandoned, None, 28)):
            db.session.execute(
                outbox.insert().values(
                    id=email_id,
                    alert_id=alert,
                    to_address="someone@example.test",
                    subject="Subject",
                    body="Body",
                    created_at=at,
                    attempts=attempts,
                    next_attempt_at=at,
                )
            )
        db.session.commit()
        db.session.close()

        upgrade()
        assert deliveries([alert_id])[alert_id] == [("someone@example.test", None, 1, None)]
        rows = {row.id: row for row in db.session.scalars(select(OutboxEmail))}
        assert (rows[alert_email].priority, rows[routine].priority) == (0, 1)  # an alert's e-mail is urgent
        assert rows[abandoned].gave_up_at is not None and rows[routine].gave_up_at is None  # as the old sender had it
        db.session.close()

        downgrade(revision="0013")
        linked = dict(db.session.execute(sa.text("SELECT id, alert_id FROM outbox_emails")).all())
        ident = (lambda u: u.hex) if db.engine.dialect.name == "sqlite" else (lambda u: u)
        assert linked[ident(alert_email)] in (alert_id, ident(alert_id)) and linked[ident(routine)] is None
        db.session.close()
