"""The form that verifies a provider's evidence document, for every side that may verify one (a school's reviewers,
the local authority's officers): its checklist is the document type's, and its answers become a Verification for
shared.services.evidence.documents.verify."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from shared.evidence_catalogue import BY_CODE
from shared.forms import DayMonthYearField, MultiCheckboxField, choices_from
from shared.models import EvidenceDocument
from shared.services.evidence.documents import Verification


class VerifyForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped
    checklist = MultiCheckboxField("Checklist")
    issue_date = DayMonthYearField("Date on the document (issue date)")
    review_date = DayMonthYearField("Date the document was last reviewed")
    expiry_date = DayMonthYearField("Expiry date shown on the document")
    verify = SubmitField("Verify document", widget=GovSubmitInput())


def verify_form_for(document: EvidenceDocument) -> VerifyForm:
    """The form, with the checklist of the document's type."""
    form = VerifyForm(prefix="verify")
    form.checklist.choices = choices_from({item: item for item in BY_CODE[document.evidence_type].checklist})
    return form


def verification_from(form: VerifyForm) -> Verification:
    """What the reviewer answered: each checklist item ticked or not, and the document's dates."""
    ticked = form.checklist.data or []
    return Verification(
        checklist={choice.value: choice.value in ticked for choice in form.checklist.choices},
        issue_date=form.issue_date.data,
        review_date=form.review_date.data,
        expiry_date=form.expiry_date.data,
    )
