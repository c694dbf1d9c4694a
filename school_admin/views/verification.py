"""The verification queue: evidence awaiting review, oldest first; verify with the type's checklist, or reject."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from school_admin import bp
from school_admin.forms import RejectForm, VerifyForm
from shared import roles
from shared.auth.access import access
from shared.auth.tenancy import document_of_my_providers_or_404
from shared.evidence_catalogue import BY_CODE, CATALOGUE
from shared.forms import choices_from
from shared.models import EvidenceDocument
from shared.services.accounts import directory
from shared.services.evidence import documents as evidence
from shared.services.providers import lists as provider_lists
from shared.web import apply

REVIEWERS = (roles.AP_LEAD, roles.DSL)


@bp.get("/verification")
@access(roles=REVIEWERS)
def verification_queue():
    names = provider_lists.provider_names_of_school(current_user.organisation_id)
    chosen_provider = request.args.get("provider", "")
    chosen_type = request.args.get("type", "")
    try:
        provider_id = uuid.UUID(chosen_provider) if chosen_provider else None
    except ValueError:
        provider_id, chosen_provider = None, ""
    documents = evidence.awaiting_review(
        names, provider_id=provider_id, evidence_type=chosen_type if chosen_type in BY_CODE else None
    )
    return render_template(
        "school_admin/verification/queue.html",
        documents=documents,
        provider_names=names,
        catalogue=CATALOGUE,
        chosen_provider=chosen_provider,
        chosen_type=chosen_type if chosen_type in BY_CODE else "",
    )


def _review_page(document: EvidenceDocument, verify_form: VerifyForm, reject_form: RejectForm):
    kind = BY_CODE[document.evidence_type]
    return render_template(
        "school_admin/verification/review.html",
        document=document,
        kind=kind,
        provider=directory.organisation(document.organisation_id),
        verify_form=verify_form,
        reject_form=reject_form,
        can_verify=current_user.has_role(*kind.verifier_roles),
        form=verify_form if verify_form.errors else reject_form,
        document_download_endpoint="school_admin.download_document",
    )


def _verify_form(document: EvidenceDocument) -> VerifyForm:
    form = VerifyForm(prefix="verify")
    form.checklist.choices = choices_from({item: item for item in BY_CODE[document.evidence_type].checklist})
    return form


@bp.get("/verification/<uuid:document_id>")
@access(roles=REVIEWERS)
def review_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    return _review_page(document, _verify_form(document), RejectForm(prefix="reject"))


@bp.post("/verification/<uuid:document_id>/verify")
@access(roles=REVIEWERS)
def verify_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    form = _verify_form(document)
    if form.validate_on_submit() and apply(
        form,
        lambda: evidence.verify(
            document,
            evidence.Verification(
                checklist={c.value: c.value in (form.checklist.data or []) for c in form.checklist.choices},
                issue_date=form.issue_date.data,
                review_date=form.review_date.data,
                expiry_date=form.expiry_date.data,
            ),
            by=current_user,
            roles=current_user.roles,
        ),
        field="checklist",
    ):
        flash(f"{BY_CODE[document.evidence_type].name} verified")
        return redirect(url_for("school_admin.verification_queue"))
    return _review_page(document, form, RejectForm(prefix="reject"))


@bp.post("/verification/<uuid:document_id>/reject")
@access(roles=REVIEWERS)
def reject_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit() and apply(
        form, lambda: evidence.reject(document, form.reason.data, by=current_user), field="reason"
    ):
        flash(f"{BY_CODE[document.evidence_type].name} rejected. The provider can see your reason.")
        return redirect(url_for("school_admin.verification_queue"))
    return _review_page(document, _verify_form(document), form)
