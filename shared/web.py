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
    except RuleBroken as exc:
        db.session.rollback()
        add_problems(form, exc, field=field)
        return False
    except PasswordRejected as exc:
        db.session.rollback()
        getattr(form, getattr(exc, "field", None) or field).errors.append(str(exc))
        return False
    except MailNotSent:
        db.session.rollback()
        form.form_errors.append(MAIL_FAILED)
        return False
    return True


def add_problems(
    form: FlaskForm, exc: RuleBroken, *, field: str = "email", skip_fields_with_errors: bool = False
) -> None:
    """Put every problem of a service's refusal next to the field it names (or `field`; or above the form when
    the form has no such field), so the error summary lists them all at once."""
    for problem in exc.problems:
        target = getattr(form, problem.field or field, None)
        if target is None or not hasattr(target, "errors"):
            form.form_errors.append(str(problem))
            continue
        if skip_fields_with_errors and target.errors:
            continue  # the form's own message for this field comes first, and one per field is enough
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        if str(problem) not in target.errors:
            target.errors.append(str(problem))


def submitted(
    form: FlaskForm, action: Callable[[], Any], *, check: Callable[[], Any] | None = None, field: str = "email"
) -> bool:
    """`form.validate_on_submit() and apply(form, action)`, telling every problem at once: when the form's own
    checks fail, `check` (the service's rules without saving) runs too, and what it finds is shown beside the
    form's messages for the fields the form found nothing wrong with."""
    if not form.is_submitted():
        return False
    if form.validate():
        return apply(form, action, field=field)
    if check is not None:
        try:
            check()
        except RuleBroken as exc:
            add_problems(form, exc, field=field, skip_fields_with_errors=True)
        finally:
            db.session.rollback()
    return False


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
