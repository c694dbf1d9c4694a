"""Small helpers that keep the views of both sides thin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from flask import flash
from flask_login import current_user
from flask_wtf import FlaskForm

from shared.extensions import db
from shared.forms import ConfirmForm, InviteForm
from shared.mail import MailNotSent
from shared.models import User
from shared.passwords import PasswordRejected
from shared.services.accounts.people import deactivate_user, invite
from shared.services.errors import RuleBroken

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

MAIL_FAILED = "The e-mail could not be sent, so nothing was saved. Try again later."


def apply(form: FlaskForm, action: Callable[[], Any], *, field: str = "email") -> bool:
    """Run a service call for a submitted form. When the service refuses, roll back and put its plain-English
    message on the field it names (or `field`), so the page can show it; True when it succeeded."""
    try:
        action()
    except (RuleBroken, PasswordRejected) as exc:
        db.session.rollback()
        getattr(form, getattr(exc, "field", None) or field).errors.append(str(exc))
        return False
    except MailNotSent:
        db.session.rollback()
        form.form_errors.append(MAIL_FAILED)
        return False
    return True


def from_form(cls: type[T], form: FlaskForm) -> T:
    """Build a service's input dataclass from the form fields of the same names."""
    return cls(**{f.name: form.data[f.name] for f in fields(cls)})


def invite_into_my_organisation(form: InviteForm) -> bool:
    """Invite the person on the form into the signed-in user's organisation (either side)."""
    return apply(
        form,
        lambda: invite(
            current_user.organisation,
            name=form.name.data,
            email=form.email.data,
            roles=form.roles.data,
            by=current_user._get_current_object(),
        ),
    )


def deactivate_member(person: User) -> None:
    """Deactivate a member of the signed-in user's organisation and say what happened (either side)."""
    form = ConfirmForm()
    if form.validate_on_submit() and apply(
        form, lambda: deactivate_user(person, by=current_user._get_current_object()), field="submit"
    ):
        flash(f"{person.name} can no longer sign in")
    for message in form.submit.errors:
        flash(message, "error")
