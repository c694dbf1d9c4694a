"""The provider's own service level agreement with the school, and the same compliance figures the school sees; the
signed copy the school uploaded; and the placements the school gave terms of their own (only the provider's own
placements it has been told of: it knows those pupils' names)."""

import uuid

from flask import abort, render_template, request
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import chosen_school_of_my_provider
from shared.clock import local_now
from shared.services.agreements import compliance
from shared.services.agreements import terms as agreements
from shared.services.school_calendar import half_terms
from shared.uploads.downloads import audited_download

AGREEMENT_READERS = (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL)


@bp.get("/agreement")
@access(roles=AGREEMENT_READERS)
def agreement():
    provider = current_organisation()
    choice = chosen_school_of_my_provider(request.args.get("school"))
    profile = choice.profile
    period = half_terms.current_period(choice.school_id)
    report = compliance.compliance_of(choice, period)
    if not current_user.has_role(roles.PROVIDER_DSL):
        report = report.without_notices()
    return render_template(
        "portal/agreement/agreement.html",
        profile=profile,
        choice=choice,
        agreement=report.agreement,
        commitments=agreements.COMMITMENTS,
        period=period,
        attendance=report.attendance,
        report=report,
        rag_labels=agreements.RAG_LABELS,
        signed_copies=agreements.signed_copies(provider.id, school_id=choice.school_id),
        own_terms=agreements.placements_with_own_terms(
            provider.id, visible_on=local_now().date(), school_id=choice.school_id
        ),
    )


@bp.get("/agreement/signed-copy/<uuid:agreement_document_id>")
@access(roles=AGREEMENT_READERS)
def download_signed_agreement(agreement_document_id: uuid.UUID):
    """A signed copy of the provider's own agreement; any other provider's looks like one that does not exist."""
    provider = current_organisation()
    document = agreements.signed_copy(agreement_document_id)
    if document is None or document.provider_id != provider.id:
        abort(404)
    return audited_download(document, "agreement.document_downloaded", organisation=provider)
