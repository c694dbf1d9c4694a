"""The verification queue: evidence awaiting review, oldest first; verify with the type's checklist, or reject;
every version of an evidence item with who did what and why; reopening a verified one."""

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from school_admin import bp
from school_admin.forms import RejectForm, ReopenForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import document_of_my_providers_or_404, provider_of_my_school_or_404
from shared.clock import local_now
from shared.evidence_catalogue import BY_CODE, CATALOGUE
from shared.evidence_forms import VerifyForm, verification_from, verify_form_for
from shared.models import EvidenceDocument
from shared.services.accounts import directory
from shared.services.evidence import documents as evidence
from shared.services.evidence import reliance
from shared.services.evidence.status import current_documents, line_for
from shared.services.providers import lists as provider_lists
from shared.web import apply

REVIEWERS = (roles.AP_LEAD, roles.DSL)
# Who reads a provider's evidence history: whoever may download its documents (school_admin.views.documents).
HISTORY_READERS = (roles.AP_LEAD, roles.DSL, roles.HEADTEACHER, roles.SLT)


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
    mine = evidence.queue_types(current_user.roles)
    documents = evidence.queue_of_school(
        current_organisation(),
        names,
        reviewer_roles=current_user.roles,
        provider_id=provider_id,
        evidence_type=chosen_type if chosen_type in mine else None,
    )
    school, day = current_organisation(), local_now().date()
    notes = {d.id: reliance.for_school(school, d, day) for d in documents if d.verifications}
    return render_template(
        "school_admin/verification/queue.html",
        documents=documents,
        notes={i: n.detail for i, n in notes.items() if n.state == reliance.State.NEEDS_YOU},
        provider_names=names,
        catalogue=[kind for kind in CATALOGUE if kind.code in mine],
        chosen_provider=chosen_provider,
        chosen_type=chosen_type if chosen_type in mine else "",
    )


def _review_page(document: EvidenceDocument, verify_form: VerifyForm, reject_form: RejectForm):
    kind = BY_CODE[document.evidence_type]
    for_us = reliance.for_school(current_organisation(), document, local_now().date())
    return render_template(
        "school_admin/verification/review.html",
        document=document,
        kind=kind,
        provider=directory.organisation(document.organisation_id),
        verify_form=verify_form,
        reject_form=reject_form,
        for_us=for_us,
        needs_check=for_us.state in (reliance.State.AWAITING_REVIEW, reliance.State.NEEDS_YOU),
        can_verify=current_user.has_role(*kind.verifier_roles),
        form=verify_form if verify_form.errors else reject_form,
        document_download_endpoint="school_admin.download_document",
        versions=evidence.history(document.organisation_id, document.evidence_type),
        action_labels=evidence.ACTION_LABELS,
        local=local_now,
    )


@bp.get("/verification/<uuid:document_id>")
@access(roles=REVIEWERS)
def review_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    return _review_page(document, verify_form_for(document), RejectForm(prefix="reject"))


@bp.post("/verification/<uuid:document_id>/verify")
@access(roles=REVIEWERS)
def verify_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    form = verify_form_for(document)
    if form.validate_on_submit() and apply(
        form,
        lambda: evidence.verify(
            document,
            verification_from(form),
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
    return _review_page(document, verify_form_for(document), form)


# --- every version of one item ---------------------------------------------------------------------------------------


def _history_page(provider_id: uuid.UUID, code: str, form: ReopenForm):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    kind = BY_CODE.get(code)
    if kind is None:
        abort(404)
    versions = evidence.history(profile.organisation_id, kind.code)
    current = current_documents(profile.organisation_id).get(kind.code)
    for_us = reliance.for_school(link.school, current, local_now().date()) if current is not None else None
    return render_template(
        "school_admin/verification/history.html",
        profile=profile,
        kind=kind,
        versions=versions,
        line=line_for(kind, current, local_now().date()),
        current=current,
        for_us=for_us,
        needs_check=for_us is not None and for_us.state in (reliance.State.AWAITING_REVIEW, reliance.State.NEEDS_YOU),
        can_reopen=current is not None
        and for_us is not None
        and for_us.done
        and evidence.may_reopen(current, current_user.roles),
        can_verify=current_user.has_role(*kind.verifier_roles),
        form=form,
        action_labels=evidence.ACTION_LABELS,
        local=local_now,
    )


@bp.get("/providers/<uuid:provider_id>/evidence/<code>")
@access(roles=HISTORY_READERS)
def evidence_history(provider_id: uuid.UUID, code: str):
    return _history_page(provider_id, code, ReopenForm())


@bp.post("/verification/<uuid:document_id>/reopen")
@access(roles=REVIEWERS)
def reopen_document(document_id: uuid.UUID):
    document = document_of_my_providers_or_404(document_id)
    form = ReopenForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: evidence.reopen(document, form.reason.data, by=current_user, roles=current_user.roles),
        field="reason",
    ):
        flash(f"{BY_CODE[document.evidence_type].name} reopened. It is waiting to be checked again.")
        return redirect(
            url_for("school_admin.evidence_history", provider_id=document.organisation_id, code=document.evidence_type)
        )
    return _history_page(document.organisation_id, document.evidence_type, form)
