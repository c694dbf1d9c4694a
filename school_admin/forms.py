"""Forms of school admin (GOV.UK widgets). The rules are in shared.services; these only collect input."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from shared.forms import RadiosField, choices_from


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why are you rejecting it?",
        widget=GovTextArea(),
        description="The provider sees this. Say what they need to upload instead.",
        validators=[
            InputRequired(message="Say why the document is rejected: the provider will see this"),
            Length(max=2000, message="Keep this to 2000 characters or fewer"),
        ],
    )
    reject = SubmitField("Reject document", widget=GovSubmitInput())


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Why are you reopening it?",
        widget=GovTextArea(),
        description="It goes back to awaiting review, and the provider counts as at risk until it is verified again. "
        "Your reason is kept in the document's history.",
        validators=[
            InputRequired(message="Say why you are reopening it"),
            Length(max=2000, message="Keep this to 2000 characters or fewer"),
        ],
    )
    reopen = SubmitField("Reopen document", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    decision = RadiosField(
        "Your decision",
        choices=choices_from({"approve": "Approve for placements", "return": "Return to the provider with requests"}),
        invalid_message="Choose to approve or return",
        validators=[InputRequired(message="Choose to approve or return")],
    )
    notes = TextAreaField(
        "Notes",
        widget=GovTextArea(),
        description="Approving: notes for the record. Returning: what the provider must do (they see this).",
        validators=[
            InputRequired(message="Write your notes"),
            Length(max=4000, message="Keep notes to 4000 characters"),
        ],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ReapprovalForm(FlaskForm):
    notes = TextAreaField(
        "Notes for the record",
        widget=GovTextArea(),
        description="What you looked at and why the provider stays approved for another year.",
        validators=[
            InputRequired(message="Write notes for the record: what you looked at and why you are re-approving"),
            Length(max=4000, message="Keep notes to 4000 characters"),
        ],
    )
    submit = SubmitField("Re-approve for another year", widget=GovSubmitInput())
