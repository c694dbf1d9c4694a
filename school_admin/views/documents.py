"""Providers' evidence documents, downloaded by the school staff who review or oversee provision."""

import uuid

from flask import abort

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.services.evidence.documents import document_of_school_provider
from shared.uploads.downloads import audited_download

DOCUMENT_READERS = (roles.AP_LEAD, roles.DSL, roles.HEADTEACHER, roles.SLT)


@bp.get("/documents/<uuid:document_id>/download")
@access(roles=DOCUMENT_READERS)
def download_document(document_id: uuid.UUID):
    """A document of one of this school's providers; any other is a 404, like one that does not exist."""
    document = document_of_school_provider(current_organisation().id, document_id)
    if document is None:
        abort(404)
    return audited_download(document, "evidence.downloaded", organisation=document.organisation_id)


@bp.get("/documents/<uuid:document_id>/files/<uuid:evidence_file_id>/download")
@access(roles=DOCUMENT_READERS)
def download_document_file(document_id: uuid.UUID, evidence_file_id: uuid.UUID):
    """A second or later file of a document of one of this school's providers; any other is a 404."""
    document = document_of_school_provider(current_organisation().id, document_id)
    extra = next((f for f in document.extra_files if f.id == evidence_file_id), None) if document is not None else None
    if document is None or extra is None:
        abort(404)
    return audited_download(extra, "evidence.downloaded", organisation=document.organisation_id)
