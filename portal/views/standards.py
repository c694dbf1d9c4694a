"""The provider's self-assessment against DfE's national standards for non-school AP (issue 15): a judgement, an
explanation and links to evidence already in its vault for each standard, saved as a new version each time."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Optional

from portal import bp
from shared import national_standards, roles
from shared.auth.access import access, current_organisation
from shared.evidence_catalogue import BY_CODE as EVIDENCE_TYPES
from shared.forms import MultiCheckboxField, RadiosField, choices_from
from shared.services.placements import incidents
from shared.services.providers import standards
from shared.services.providers.standards import SelfAssessmentEntry
from shared.web import apply


def _fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for standard in national_standards.STANDARDS:
        name = standard.title.lower()
        fields[f"judgement_{standard.code}"] = RadiosField(
            f"How far do you meet {name}?",
            invalid_message=f"Select how far you meet {name}",
            choices=choices_from({str(k): v for k, v in national_standards.JUDGEMENT_LABELS.items()}),
            validators=[Optional()],
        )
        fields[f"explanation_{standard.code}"] = TextAreaField(
            "Explain your judgement", widget=GovTextArea(), validators=[Optional()]
        )
        fields[f"evidence_{standard.code}"] = MultiCheckboxField(
            "Evidence in your documents",
            invalid_message=f"Choose evidence from your current documents for {name}",
            validators=[Optional()],
        )
    fields["submit"] = SubmitField("Submit self-assessment", widget=GovSubmitInput())
    return fields


SelfAssessmentForm = type("SelfAssessmentForm", (FlaskForm,), _fields())


@bp.route("/standards", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def self_assessment():
    provider = current_organisation()
    documents = standards.vault_documents(provider.id)
    latest = standards.latest_self_assessment(provider.id)
    form: Any = SelfAssessmentForm()
    choices = choices_from(
        {str(d.id): f"{EVIDENCE_TYPES[d.evidence_type].name}: {d.display_name}" for d in documents} if documents else {}
    )
    for standard in national_standards.STANDARDS:
        form[f"evidence_{standard.code}"].choices = choices
    if request.method == "GET" and latest is not None:
        for entry in latest.entries:
            code = entry.get("code")
            if code in national_standards.BY_CODE:
                form[f"judgement_{code}"].data = entry.get("judgement")
                form[f"explanation_{code}"].data = entry.get("explanation")
                form[f"evidence_{code}"].data = list(entry.get("document_ids") or [])
    if form.validate_on_submit():
        entries = {
            s.code: SelfAssessmentEntry(
                judgement=form[f"judgement_{s.code}"].data,
                explanation=form[f"explanation_{s.code}"].data,
                document_ids=list(form[f"evidence_{s.code}"].data or []),
            )
            for s in national_standards.STANDARDS
        }
        first = f"judgement_{national_standards.STANDARDS[0].code}"
        if apply(form, lambda: standards.submit_self_assessment(provider, entries, by=current_user), field=first):
            flash("Self-assessment submitted. The schools you work with and their local authority can see it.")
            return redirect(url_for("portal.self_assessment"))
    return render_template(
        "portal/standards/self_assessment.html",
        form=form,
        standards=national_standards.STANDARDS,
        evidence_names=national_standards.evidence_names,
        summary_note=national_standards.SUMMARY_NOTE,
        title=national_standards.TITLE,
        has_documents=bool(documents),
        latest=latest,
        assessed=standards.assessed_standards(latest) if latest else [],
        submitted_by=incidents.names_of([latest.submitted_by_id]) if latest else {},
    )
