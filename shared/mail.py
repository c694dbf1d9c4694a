"""Outgoing e-mail. Messages say that something is waiting and where, never sensitive content.

Backends: "console" (development: printed and written to MAIL_FOLDER as .eml) and "smtp".

`MailSession` sends several messages over one connection to the mail server, and says why one could not go:
`MailServerUnreachable` (no use trying the next message now) or `MailRejected` (the server refused this one).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from types import TracebackType

from flask import current_app

log = logging.getLogger(__name__)

# Seconds of silence from the mail server before a send gives up.
SMTP_TIMEOUT_SECONDS = 10


class MailNotSent(RuntimeError):
    pass


class MailServerUnreachable(MailNotSent):
    """The mail server could not be reached, or dropped us: every message waits until it answers again."""


class MailRejected(MailNotSent):
    """The mail server refused this one message (an address or the content); the others can still go."""


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="ap-portal.localhost")
    msg.set_content(body)
    return msg


class MailSession:
    """One connection to the mail server for as many messages as need it, opened on the first send."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, to: str, subject: str, body: str) -> None:
        msg = build_message(to, subject, body)
        backend = current_app.config["MAIL_BACKEND"]
        if backend == "console":
            _write_to_console(msg, to, subject, body)
            return
        if backend != "smtp":
            raise MailServerUnreachable(f"unknown MAIL_BACKEND {backend!r}")
        try:
            self._send_smtp(msg)
        except MailNotSent as exc:
            log.error("mail.send_failed", extra={"error": type(exc.__cause__ or exc).__name__})
            raise

    def _send_smtp(self, msg: EmailMessage) -> None:
        reused = self._smtp is not None
        try:
            self._connection().send_message(msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise MailRejected("The mail server refused the e-mail") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            if not reused:
                raise MailServerUnreachable("The mail server could not be reached") from exc
            # The connection we kept open went stale (the server closed it): one fresh try.
            try:
                self._connection().send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as again:
                raise MailRejected("The mail server refused the e-mail") from again
            except (OSError, smtplib.SMTPException) as again:
                self.close()
                raise MailServerUnreachable("The mail server could not be reached") from again

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            cfg = current_app.config
            smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS)
            try:
                if cfg["MAIL_USE_TLS"]:
                    smtp.starttls()
                if cfg["MAIL_USERNAME"]:
                    smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp


def _write_to_console(msg: EmailMessage, to: str, subject: str, body: str) -> None:
    folder = Path(current_app.config["MAIL_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{uuid.uuid4()}.eml").write_bytes(bytes(msg))
    # Development only: the console shows the message so a newcomer can follow invitation links.
    print(f"\n----- e-mail to {to} -----\nSubject: {subject}\n\n{body}\n-----\n", flush=True)


def send_email(to: str, subject: str, body: str) -> None:
    """One message on a connection of its own."""
    with MailSession() as session:
        session.send(to, subject, body)
