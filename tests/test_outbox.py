"""The outbox sends each e-mail exactly once, however many senders run at the same moment (issue 12)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.extensions import db
from shared.models import OutboxEmail, utcnow
from shared.notifications import deliver_outbox, queue_email

QUEUED = 80


def _queue(app, count: int) -> list[str]:
    addresses = [f"parent{n}@example.test" for n in range(count)]
    with app.app_context():
        for address in addresses:
            queue_email(address, "Something is waiting", f"Hello {address}")
        db.session.commit()
        db.session.remove()
    return addresses


def _run_senders_at_once(app, senders: int) -> list[tuple[int, int]]:
    barrier = threading.Barrier(senders)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def sender() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(deliver_outbox())
            except BaseException as exc:  # noqa: BLE001  (reported by the test, not lost in the thread)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


@pytest.mark.parametrize("senders", [2, 3])
def test_senders_running_at_once_send_each_email_exactly_once(app, mailbox, senders):
    addresses = _queue(app, QUEUED)

    results = _run_senders_at_once(app, senders)

    received = Counter(message["To"] for message in mailbox.messages)
    assert len(mailbox.messages) == QUEUED
    assert received == Counter(addresses)  # one each, nobody twice
    assert sum(sent for sent, _ in results) == QUEUED
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail)).all()
        assert len(rows) == QUEUED
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        assert all(row.claimed_until is None for row in rows)  # a sent row holds no claim


def test_a_crashed_senders_claim_expires_and_another_sends_it(app, mailbox):
    (address,) = _queue(app, 1)
    with app.app_context():
        row = db.session.scalars(select(OutboxEmail)).one()
        row.claimed_by = "a sender that died"
        row.claimed_until = utcnow() + timedelta(minutes=5)
        db.session.commit()
        assert deliver_outbox() == (0, 0)  # still claimed: left alone
        assert mailbox.messages == []

        row.claimed_until = utcnow() - timedelta(seconds=1)  # the claim has run out
        db.session.commit()
        assert deliver_outbox() == (1, 0)
        db.session.remove()
    assert [m["To"] for m in mailbox.messages] == [address]


def test_a_sender_whose_claim_is_running_out_sends_no_more_and_the_next_sender_sends_them_once(
    app, mailbox, monkeypatch
):
    from shared import notifications

    addresses = _queue(app, 3)
    with app.app_context():
        # A claim no longer than the margin a sender keeps: as if the mail server were so slow the claim ran out.
        monkeypatch.setattr(notifications, "CLAIM_MINUTES", 1)
        assert deliver_outbox() == (0, 0)
        assert mailbox.messages == []
        rows = db.session.scalars(select(OutboxEmail)).all()
        assert all(row.attempts == 0 and row.claimed_until is not None for row in rows)
        for row in rows:  # the claim runs out
            row.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()

        monkeypatch.undo()
        assert deliver_outbox() == (3, 0)
        assert deliver_outbox() == (0, 0)
        db.session.remove()
    assert sorted(m["To"] for m in mailbox.messages) == sorted(addresses)
