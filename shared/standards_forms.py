"""Form fields for a quality-assurance record against the national standards on a site visit (issue 15), shared by
the school's and the local authority's visit forms: a judgement per standard, strengths and actions with dates."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from wtforms import Form, StringField, TextAreaField
from wtforms.validators import Length, Optional

from shared import national_standards
from shared.forms import DayMonthYearField, RadiosField, choices_from
from shared.services.providers.standards import MAX_ACTIONS, NOT_JUDGED, QualityAction, QualityRecord

JUDGEMENT_CHOICES: dict[str, str] = {
    **{str(value): label for value, label in national_standards.JUDGEMENT_LABELS.items()},
    NOT_JUDGED: "Not looked at on this visit",
}


def _fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for standard in national_standards.STANDARDS:
        fields[f"standard_{standard.code}"] = RadiosField(
            standard.title,
            invalid_message=f"Select a judgement for {standard.title.lower()}",
            choices=choices_from(JUDGEMENT_CHOICES),
            default=NOT_JUDGED,
        )
    fields["strengths"] = TextAreaField(
        "Strengths",
        widget=GovTextArea(),
        description="What the provider does well against the standards.",
        validators=[Optional(), Length(max=5000, message="Keep the strengths to 5000 characters or fewer")],
    )
    for number in range(1, MAX_ACTIONS + 1):
        fields[f"action_{number}"] = StringField(
            f"Action {number}",
            widget=GovTextInput(),
            validators=[Optional(), Length(max=500, message=f"Keep action {number} to 500 characters or fewer")],
        )
        fields[f"action_{number}_due"] = DayMonthYearField(f"Action {number}: due by", validators=[Optional()])
    return fields


# A mixin for a FlaskForm: class VisitForm(QualityAssuranceFields, FlaskForm).
QualityAssuranceFields = type("QualityAssuranceFields", (Form,), _fields())

STANDARD_FIELDS = [f"standard_{standard.code}" for standard in national_standards.STANDARDS]
ACTION_FIELDS = [(f"action_{n}", f"action_{n}_due") for n in range(1, MAX_ACTIONS + 1)]


def quality_record(form: Any) -> QualityRecord:
    """What the visitor entered in the standards fields, for the service to check."""
    return QualityRecord(
        judgements={
            standard.code: getattr(form, f"standard_{standard.code}").data or NOT_JUDGED
            for standard in national_standards.STANDARDS
        },
        strengths=form.strengths.data,
        actions=[QualityAction(getattr(form, text).data, getattr(form, due).data) for text, due in ACTION_FIELDS],
    )
