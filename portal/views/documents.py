"""The provider's evidence documents: where each required one stands, uploading a new version, downloading."""

import uuid

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.clock import today as school_today
from shared.models import EvidenceDocument
from shared.services.errors import RuleBroken
from shared.services.evidence import reliance
from shared.services.evidence.status import current_documents, evidence_lines, line_for
from shared.services.providers import requests
from shared.uploads.downloads import audited_download
from shared.uploads.pipeline import (
    MAX_EVIDENCE_FILES,
    EvidenceTypeNotRequired,
    accept_evidence_upload,
    required_evidence_type,
)
from shared.uploads.policy import DEFAULT_ALLOWED
from shared.uploads.reasons import UploadRefused

# How the allowed types are named to people, in the order they are listed.
TYPE_NAMES = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "xlsx": "Excel (.xlsx)",
    "odt": "OpenDocument text (.odt)",
    "jpg": "JPEG",
    "png": "PNG",
}
ACCEPT = ",".join(f".{extension}" for extension in sorted(DEFAULT_ALLOWED))


def allowed_types_text() -> str:
    names = [name for extension, name in TYPE_NAMES.items() if extension in DEFAULT_ALLOWED]
    return ", ".join(names[:-1]) + " or " + names[-1]


def size_limit_text() -> str:
    return f"{current_app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB"


class DocumentUploadForm(FlaskForm):
    # Several files of one version at once (a registration certificate and the latest inspection report).
    file = MultipleFileField(
        "Choose a file",
        widget=GovFileInput(multiple=True),
        validators=[FileRequired(message="Select a file")],
    )
    submit = SubmitField("Upload file", widget=GovSubmitInput())


@bp.get("/onboarding/documents")
@access(roles={roles.PROVIDER_MANAGER})
def documents():
    profile = current_organisation().provider_profile
    return render_template(
        "portal/onboarding/documents.html",
        profile=profile,
        lines=evidence_lines(profile),
        seen_by=reliance.seen_by(profile.organisation_id),
        asking=len(requests.requests_of(profile.organisation_id)),
    )


@bp.route("/onboarding/documents/<code>", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def upload_document(code: str):
    organisation = current_organisation()
    try:
        kind = required_evidence_type(organisation, code)
    except EvidenceTypeNotRequired:
        abort(404)
    form = DocumentUploadForm()
    if form.validate_on_submit():
        try:
            document = accept_evidence_upload(
                form.file.data, organisation=organisation, evidence_type_code=kind.code, by=current_user
            )
        except UploadRefused as refusal:
            form.file.errors.append(refusal.message)
        except RuleBroken as broken:
            form.file.errors.append(str(broken))
        else:
            names = [document.display_name] + [extra.display_name for extra in document.extra_files]
            flash(f"{kind.name}: {' and '.join(names)} uploaded. The school will check it.")
            target = url_for("portal.documents")
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The progress bar's request: the page goes there itself, so the message is still waiting.
                return jsonify(location=target)
            return redirect(target)
    current = current_documents(organisation.id).get(kind.code)
    return render_template(
        "portal/onboarding/upload_document.html",
        form=form,
        kind=kind,
        line=line_for(kind, current, school_today()),
        allowed_types=allowed_types_text(),
        size_limit=size_limit_text(),
        accept=ACCEPT,
        max_files=MAX_EVIDENCE_FILES,
    )


@bp.get("/documents/<uuid:document_id>/download")
@access(roles={roles.PROVIDER_MANAGER, roles.PROVIDER_DSL})
def download_document(document_id: uuid.UUID):
    document = own_or_404(EvidenceDocument, document_id)
    return audited_download(document, "evidence.downloaded", organisation=document.organisation_id)


@bp.get("/documents/<uuid:document_id>/files/<uuid:evidence_file_id>/download")
@access(roles={roles.PROVIDER_MANAGER, roles.PROVIDER_DSL})
def download_document_file(document_id: uuid.UUID, evidence_file_id: uuid.UUID):
    document = own_or_404(EvidenceDocument, document_id)
    extra = next((f for f in document.extra_files if f.id == evidence_file_id), None)
    if extra is None:
        abort(404)
    return audited_download(extra, "evidence.downloaded", organisation=document.organisation_id)
