"""Telling people: in-app notifications and e-mail through the outbox.

E-mails say that something is waiting and where, never sensitive content (domain brief: notifications carry no
sensitive content). `queue_email` adds to the current transaction, so the e-mail is as durable as the event that
caused it. When that transaction commits, the worker is asked to send at once (`send_soon`, enqueue on commit);
the worker's one-minute sweep sends whatever that missed (a worker that was down, a queue that was unreachable).

`deliver_outbox` sends everything that is due, urgent e-mails first (safeguarding and attendance alerts), batch
after batch over one connection to the mail server. If the server cannot be reached, nothing more is tried this
run and every waiting e-mail is tried again within RETRY_SECONDS' cap (30 s): the first e-mail after an outage
goes at most 30 s after the server answers again, and the rest follow in the same run.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from shared.extensions import db
from shared.links import Link, absolute_url_of, path_of
from shared.mail import MailRejected, MailServerUnreachable, MailSession
from shared.models import Membership, MembershipRole, Notification, Organisation, OutboxEmail, User, utcnow
from shared.models.outbox import ROUTINE, URGENT

log = logging.getLogger(__name__)

# The mail server could not be reached: try again after 5, 10, 20, then every 30 seconds.
RETRY_SECONDS = (5, 10, 20, 30)
# The mail server refused one message: try it again after 1, 5, 15, then every 60 minutes.
REJECTED_RETRY_MINUTES = (1, 5, 15, 60)
# An e-mail still not sent a day after its first try is given up (the school's pages then say so).
GIVE_UP_AFTER = timedelta(days=1)
UNREACHABLE = "unreachable"
REJECTED = "rejected"
# A run claims this many e-mails at a time, and claims again until nothing is due or RUN_SECONDS have passed.
BATCH = 100
RUN_SECONDS = 50
# A sender's claim on a batch lasts this long: far longer than a batch takes (each send gives up after 10 s of
# silence from the mail server). A sender stops taking rows from its batch once less than CLAIM_MARGIN is left.
CLAIM_MINUTES = 15
CLAIM_MARGIN = timedelta(minutes=1)
# A retry further off than this is left to the worker's one-minute sweep.
SCHEDULE_RETRIES_WITHIN = timedelta(seconds=60)

_QUEUED = "outbox.queued"  # session.info key: this transaction queued an e-mail


def queue_email(
    to: str, subject: str, body: str, *, organisation: Organisation | None = None, urgent: bool = False
) -> OutboxEmail:
    """Add an e-mail to the current transaction; `urgent` ones (safeguarding, attendance alerts) go first."""
    message = OutboxEmail(
        to_address=to,
        subject=subject,
        body=body,
        organisation_id=organisation.id if organisation else None,
        next_attempt_at=utcnow(),
        priority=URGENT if urgent else ROUTINE,
    )
    db.session.add(message)
    db.session.info[_QUEUED] = True
    return message


@event.listens_for(Session, "after_commit")
def _send_what_was_queued(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        send_soon()


@event.listens_for(Session, "after_rollback")
def _forget_what_was_queued(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def send_soon(delay: timedelta | None = None) -> None:
    """Ask the worker to send what is due, now or after `delay`. Never fails the caller: the transaction that
    queued the e-mail has committed, and the worker's sweep sends it within a minute if this request is lost."""
    if not has_app_context() or not current_app.config["OUTBOX_SEND_AT_ONCE"]:
        return
    from shared import tasks  # the worker's module imports this one

    try:
        tasks.send_outbox(delay)
    except Exception:  # noqa: BLE001 - any failure of the queue (Redis down) is left to the sweep
        log.warning("outbox.send_soon_failed", exc_info=True)


def people_with_role(organisation: Organisation, role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .join(MembershipRole)
            .where(Membership.organisation_id == organisation.id, MembershipRole.role == role, User.active.is_(True))
            .order_by(User.name)
        )
    )


def in_app(organisation_id: uuid.UUID, user_id: uuid.UUID, *, text: str, link: Link) -> Notification:
    """An in-app notification for one person, added to the current transaction."""
    notification = Notification(organisation_id=organisation_id, user_id=user_id, text=text, link=path_of(link))
    db.session.add(notification)
    return notification


def tell_role(
    organisation: Organisation, role: str, *, text: str, link: Link, subject: str, urgent: bool = False
) -> int:
    """An in-app notification and an e-mail to everyone with the role in the organisation; how many were told."""
    return tell_people(
        organisation, people_with_role(organisation, role), text=text, link=link, subject=subject, urgent=urgent
    )


def tell_roles(
    organisation: Organisation, roles: Iterable[str], *, text: str, link: Link, subject: str, urgent: bool = False
) -> int:
    """`tell_role` for several roles, telling someone who holds more than one of them once."""
    people: dict[uuid.UUID, User] = {}
    for role in roles:
        for person in people_with_role(organisation, role):
            people.setdefault(person.id, person)
    return tell_people(organisation, list(people.values()), text=text, link=link, subject=subject, urgent=urgent)


def tell_people(
    organisation: Organisation, people: list[User], *, text: str, link: Link, subject: str, urgent: bool = False
) -> int:
    url = absolute_url_of(link)
    for person in people:
        in_app(organisation.id, person.id, text=text, link=link)
        queue_email(
            person.email,
            subject,
            f"Hello {person.name},\n\n{text}\n\nSee it on AP Portal:\n{url}\n",
            organisation=organisation,
            urgent=urgent,
        )
    return len(people)


def deliver_outbox(limit: int = BATCH) -> tuple[int, int]:
    """Send the e-mails that are due, urgent first, `limit` at a time until none is due. Returns (sent, failed).
    Each is recorded on its own, so one bad address does not hold up the rest.

    Each batch is claimed, and the claim committed, before anything is sent, so senders running at the same
    moment (e-mails handed over on commit, the sweep, `deliver-outbox`) send each e-mail once. A sender that dies
    leaves its claim, which runs out after CLAIM_MINUTES; the next sender after that takes the rows."""
    sender = uuid.uuid4().hex
    sent = failed = 0
    started = time.monotonic()
    recovered = False
    with MailSession() as mail:
        while True:
            batch = _claim(sender, limit)
            if not batch:
                break
            outcome = _send_batch(batch, mail)
            sent += outcome.sent
            failed += outcome.failed
            if outcome.stopped:
                break
            if outcome.sent and not recovered:
                # The server answers: what waited because it could not be reached goes now, not at its retry.
                _bring_forward_unreachable()
                recovered = True
            if time.monotonic() - started > RUN_SECONDS:
                send_soon()  # a very long queue: carry on in a fresh run rather than hold this one
                break
    _schedule_next_retry()
    return sent, failed


class _Outcome:
    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.stopped = False


def _send_batch(batch: list[OutboxEmail], mail: MailSession) -> _Outcome:
    outcome = _Outcome()
    for index, message in enumerate(batch):
        claimed_until = message.claimed_until
        if claimed_until is None or utcnow() + CLAIM_MARGIN >= claimed_until:
            # The claim is running out (a very slow mail server): leave the rest to a sender with a fresh claim
            # rather than race it for them.
            outcome.stopped = True
            return outcome
        now = utcnow()
        message.attempts += 1
        message.first_attempt_at = message.first_attempt_at or now
        try:
            mail.send(message.to_address, message.subject, message.body)
        except MailServerUnreachable as exc:
            outcome.failed += 1
            retry_at = now + timedelta(seconds=_step(RETRY_SECONDS, message.attempts))
            _failed(message, UNREACHABLE, str(exc), retry_at, now)
            # No use trying the rest now: they wait for the same retry, without counting a try.
            for waiting in batch[index + 1 :]:
                waiting.failure = UNREACHABLE
                waiting.next_attempt_at = retry_at
                _release(waiting)
            db.session.commit()
            outcome.stopped = True
            return outcome
        except MailRejected as exc:
            outcome.failed += 1
            retry_at = now + timedelta(minutes=_step(REJECTED_RETRY_MINUTES, message.attempts))
            _failed(message, REJECTED, str(exc), retry_at, now)
        else:
            outcome.sent += 1
            message.sent_at = utcnow()
            message.last_error = None
            message.failure = None
            _release(message)
        db.session.commit()
    return outcome


def _step(steps: tuple[int, ...], attempts: int) -> int:
    return steps[min(attempts - 1, len(steps) - 1)]


def _failed(message: OutboxEmail, failure: str, error: str, retry_at: datetime, now: datetime) -> None:
    message.failure = failure
    message.last_error = error[:200]
    message.next_attempt_at = retry_at
    if message.first_attempt_at is not None and now - message.first_attempt_at >= GIVE_UP_AFTER:
        message.gave_up_at = now
        log.error("outbox.gave_up", extra={"outbox_id": str(message.id), "attempts": message.attempts})
    else:
        log.warning("outbox.send_failed", extra={"outbox_id": str(message.id), "attempts": message.attempts})
    _release(message)


def _release(message: OutboxEmail) -> None:
    message.claimed_by = None
    message.claimed_until = None


def _bring_forward_unreachable() -> None:
    """Make every e-mail that waits only because the server could not be reached due now."""
    now = utcnow()
    db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.gave_up_at.is_(None),
            OutboxEmail.failure == UNREACHABLE,
            OutboxEmail.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _schedule_next_retry() -> None:
    """Ask the worker to run again when the next waiting e-mail is due, if that is sooner than its sweep."""
    now = utcnow()
    next_due = db.session.scalar(
        select(func.min(OutboxEmail.next_attempt_at)).where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.gave_up_at.is_(None),
            OutboxEmail.next_attempt_at > now,
        )
    )
    db.session.commit()
    if next_due is not None and next_due - now <= SCHEDULE_RETRIES_WITHIN:
        send_soon(next_due - now)


def _claim(sender: str, limit: int) -> list[OutboxEmail]:
    """Claim up to `limit` due, unclaimed e-mails for `sender`, urgent first, in one statement, commit the claim,
    and return them.

    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so a concurrent sender's pick passes over them
    instead of waiting; the UPDATE's own WHERE checks again that each is still unclaimed when it is written. SQLite
    runs one writing statement at a time, so the UPDATE's WHERE alone decides."""
    now = utcnow()
    claimable = (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.gave_up_at.is_(None),
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
    )
    due = (
        select(OutboxEmail.id)
        .where(*claimable)
        .order_by(OutboxEmail.priority, OutboxEmail.created_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(due), *claimable)
        .values(claimed_by=sender, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.claimed_by == sender, OutboxEmail.sent_at.is_(None))
            .order_by(OutboxEmail.priority, OutboxEmail.created_at, OutboxEmail.id)
        )
    )
