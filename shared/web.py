"""Small helpers that keep the views of both sides thin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm

from shared.extensions import db
from shared.mail import MailNotSent
from shared.passwords import PasswordRejected
from shared.services.accounts import AccountError

MAIL_FAILED = "The e-mail could not be sent, so nothing was saved. Try again later."


def apply(form: FlaskForm, action: Callable[[], Any], *, field: str = "email") -> bool:
    """Run a service call for a submitted form. When the service refuses, roll back and put its plain-English
    message on the field it names (or `field`), so the page can show it; True when it succeeded."""
    try:
        action()
    except (AccountError, PasswordRejected) as exc:
        db.session.rollback()
        getattr(form, getattr(exc, "field", None) or field).errors.append(str(exc))
        return False
    except MailNotSent:
        db.session.rollback()
        form.form_errors.append(MAIL_FAILED)
        return False
    return True
