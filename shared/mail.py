"""Outgoing e-mail. Messages say that something is waiting and where, never sensitive content.

Backends: "console" (development: printed and written to MAIL_FOLDER as .eml) and "smtp".
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


class MailNotSent(RuntimeError):
    pass


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="ap-portal.localhost")
    msg.set_content(body)
    return msg


def send_email(to: str, subject: str, body: str) -> None:
    msg = build_message(to, subject, body)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "console":
        folder = Path(current_app.config["MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{uuid.uuid4()}.eml").write_bytes(bytes(msg))
        # Development only: the console shows the message so a newcomer can follow invitation links.
        print(f"\n----- e-mail to {to} -----\nSubject: {subject}\n\n{body}\n-----\n", flush=True)
        return
    if backend != "smtp":
        raise MailNotSent(f"unknown MAIL_BACKEND {backend!r}")
    cfg = current_app.config
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("mail.send_failed", extra={"error": type(exc).__name__})
        raise MailNotSent("The e-mail could not be sent") from exc
