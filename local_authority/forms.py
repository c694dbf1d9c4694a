"""The local authority side's forms: verifying or rejecting a provider's evidence (as the school's verification
page does) and recording a quality-assurance visit."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from shared.forms import DayMonthYearField, RadiosField
from shared.standards_forms import QualityAssuranceFields


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why are you rejecting it?",
        widget=GovTextArea(),
        description="The provider and the schools using it see this. Say what the provider needs to upload instead.",
        validators=[
            InputRequired(message="Say why the document is rejected: the provider will see this"),
            Length(max=2000, message="Keep this to 2000 characters or fewer"),
        ],
    )
    reject = SubmitField("Reject document", widget=GovSubmitInput())


def _notes(label: str, required: str | None = None, description: str = "") -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[*validators, Length(max=5000, message="Keep this to 5000 characters or fewer")],
    )


class VisitForm(QualityAssuranceFields, FlaskForm):  # type: ignore[misc,valid-type]
    visited_on = DayMonthYearField(
        "Date of the visit", validators=[InputRequired(message="Enter the date of the visit")]
    )
    site_id = RadiosField("Site visited", invalid_message="Choose the site you visited", validators=[Optional()])
    findings = _notes(
        "Findings",
        "Write what you found",
        "What you found about the quality of the provision. The schools using this provider see it: name no pupil.",
    )
    actions = _notes("Actions", description="What the provider will do, and by when.")
    submit = SubmitField("Record visit", widget=GovSubmitInput())
