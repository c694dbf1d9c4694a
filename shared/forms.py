"""Form fields shared by both sides (GOV.UK widgets)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import DateField, Form, PasswordField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError


def single_line(value: str | None) -> str | None:
    """Names and titles are one line of text: control characters (newlines included) become spaces."""
    if value is None:
        return None
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def email_field(label: str = "Email address") -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            InputRequired(message="Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )


def name_field(label: str = "Full name") -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[single_line],
        validators=[
            InputRequired(message="Enter a name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )


def new_password_field(label: str = "Create a password") -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description="Use 12 characters or more. A few random words you will remember work well.",
        validators=[InputRequired(message="Enter a password")],
    )


def choices_from(labels: Mapping[Any, str]) -> list[SelectChoice]:
    """Choices for radios and checkboxes from a {value: label} mapping, in its order."""
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class RadiosField(RadioField):
    """GOV.UK radios; a value that is not one of the options gets a plain-English message."""

    widget = GovRadioInput()

    def __init__(self, label: str, *, invalid_message: str = "Select one of the options", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid_message = invalid_message

    def pre_validate(self, form: Form) -> None:
        if self.data not in {choice.value for choice in self.choices or []}:
            raise ValidationError(self.invalid_message)


class MultiCheckboxField(SelectMultipleField):
    """GOV.UK checkboxes; a value that is not one of the options gets a plain-English message."""

    widget = GovCheckboxesInput()

    def __init__(self, label: str, *, invalid_message: str = "Select from the options shown", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid_message = invalid_message

    def pre_validate(self, form: Form) -> None:
        allowed = {choice.value for choice in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(self.invalid_message)


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token and a button (sign out, deactivate, accept)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    name = name_field()
    email = email_field()
    roles = MultiCheckboxField(
        "Roles",
        invalid_message="Select roles from the list",
        validators=[InputRequired(message="Select at least one role")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(
        "Roles",
        invalid_message="Select roles from the list",
        validators=[InputRequired(message="Select at least one role")],
    )
    submit = SubmitField("Save roles", widget=GovSubmitInput())


class SignInForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your password")]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the security code"), Length(max=20)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpCodeForm(FlaskForm):
    code = StringField(
        "Security code from the app",
        widget=GovTextInput(),
        description="The 6-digit code your authenticator app shows for AP Portal.",
        validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=20)],
    )
    submit = SubmitField("Turn on two-step sign-in", widget=GovSubmitInput())


class AcceptInvitationForm(FlaskForm):
    password = new_password_field()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = new_password_field("New password")
    submit = SubmitField("Set new password", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your current password")]
    )
    password = new_password_field("New password")
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ReauthenticateForm(FlaskForm):
    """Asks for the password again before a change to how the person signs in."""

    confirm_password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        description="Enter your password to change your two-step sign-in.",
        validators=[InputRequired(message="Enter your password")],
    )
    start_set_up = SubmitField("Set up two-step sign-in", widget=GovSubmitInput())


class DayMonthYearField(DateField):
    """A GOV.UK date input (day, month, year boxes) with a plain-English message for an impossible date."""

    widget = GovDateInput()

    def __init__(
        self, label: str, *, invalid_message: str = "Enter a real date, like 27 3 2025", **kwargs: Any
    ) -> None:
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[str]) -> None:
        # The widget redraws exactly three boxes from raw_data, whatever a crafted request sent.
        self.raw_data = (list(valuelist) + ["", "", ""])[:3]
        valuelist = self.raw_data
        if not any(part.strip() for part in valuelist):
            self.data = None
            return
        try:
            super().process_formdata([" ".join(part.strip() for part in valuelist)] if valuelist else valuelist)
        except ValueError as exc:
            raise ValueError(self.invalid_message) from exc
