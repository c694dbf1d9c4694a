"""Telling people: in-app notifications and e-mail through the outbox.

E-mails say that something is waiting and where, never sensitive content (domain brief: notifications carry no
sensitive content). `queue_email` adds to the current transaction; `deliver_outbox` sends what is due, with
back-off on failure, and is run by the worker or `flask --app wsgi deliver-outbox`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update

from shared.extensions import db
from shared.links import Link, absolute_url_of, path_of
from shared.mail import MailNotSent, send_email
from shared.models import Membership, MembershipRole, Notification, Organisation, OutboxEmail, User, utcnow

log = logging.getLogger(__name__)

# Retry after 1, 5, 15, 60 minutes, then hourly; give up after a day of trying.
BACKOFF_MINUTES = (1, 5, 15, 60)
MAX_ATTEMPTS = 28
# A sender's claim on a batch lasts this long: far longer than a batch of 100 takes (each send gives up after 10 s
# of silence from the mail server). A sender stops taking rows from its batch once less than CLAIM_MARGIN is left.
CLAIM_MINUTES = 15
CLAIM_MARGIN = timedelta(minutes=1)


def queue_email(to: str, subject: str, body: str, *, organisation: Organisation | None = None) -> OutboxEmail:
    message = OutboxEmail(
        to_address=to,
        subject=subject,
        body=body,
        organisation_id=organisation.id if organisation else None,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


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


def tell_role(organisation: Organisation, role: str, *, text: str, link: Link, subject: str) -> int:
    """An in-app notification and an e-mail to everyone with the role in the organisation; how many were told."""
    people = people_with_role(organisation, role)
    url = absolute_url_of(link)
    for person in people:
        in_app(organisation.id, person.id, text=text, link=link)
        queue_email(
            person.email,
            subject,
            f"Hello {person.name},\n\n{text}\n\nSee it on AP Portal:\n{url}\n",
            organisation=organisation,
        )
    return len(people)


def deliver_outbox(limit: int = 100) -> tuple[int, int]:
    """Send the e-mails that are due. Returns (sent, failed). Each is committed on its own, so one bad address
    does not hold up the rest.

    The batch is claimed, and the claim committed, before anything is sent, so senders running at the same moment
    (the worker and `deliver-outbox`, two workers) send each e-mail once. A sender that dies leaves its claim,
    which runs out after CLAIM_MINUTES; the next sender after that takes the rows."""
    sender = uuid.uuid4().hex
    sent = failed = 0
    for message in _claim(sender, limit):
        claimed_until = message.claimed_until
        if claimed_until is None or utcnow() + CLAIM_MARGIN >= claimed_until:
            # The claim is running out (a very slow mail server): leave the rest to a sender with a fresh claim
            # rather than race it for them.
            break
        message.attempts += 1
        try:
            send_email(message.to_address, message.subject, message.body)
        except MailNotSent as exc:
            failed += 1
            wait = BACKOFF_MINUTES[min(message.attempts - 1, len(BACKOFF_MINUTES) - 1)]
            message.next_attempt_at = utcnow() + timedelta(minutes=wait)
            message.last_error = str(exc)[:200]
            log.warning("outbox.send_failed", extra={"outbox_id": str(message.id), "attempts": message.attempts})
        else:
            sent += 1
            message.sent_at = utcnow()
            message.last_error = None
        message.claimed_by = None
        message.claimed_until = None
        db.session.commit()
    return sent, failed


def _claim(sender: str, limit: int) -> list[OutboxEmail]:
    """Claim up to `limit` due, unclaimed e-mails for `sender` in one statement, commit the claim, and return them.

    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so a concurrent sender's pick passes over them
    instead of waiting; the UPDATE's own WHERE checks again that each is still unclaimed when it is written. SQLite
    runs one writing statement at a time, so the UPDATE's WHERE alone decides."""
    now = utcnow()
    claimable = (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.attempts < MAX_ATTEMPTS,
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
    )
    due = (
        select(OutboxEmail.id)
        .where(*claimable)
        .order_by(OutboxEmail.created_at)
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
            .order_by(OutboxEmail.created_at)
        )
    )
