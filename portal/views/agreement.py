"""The provider's own service level agreement with the school, and the same compliance figures the school sees."""

from flask import render_template
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import current_organisation, roles_required
from shared.services import agreements, compliance, half_terms


@bp.get("/agreement")
@roles_required(roles.PROVIDER_MANAGER, roles.PROVIDER_DSL)
def agreement():
    provider = current_organisation()
    profile = provider.provider_profile
    period = half_terms.current_period(profile.school_id)
    report = compliance.compliance_of(profile, period)
    if not current_user.has_role(roles.PROVIDER_DSL):
        report = report.without_notices()
    return render_template(
        "portal/agreement/agreement.html",
        profile=profile,
        agreement=report.agreement,
        commitments=agreements.COMMITMENTS,
        period=period,
        attendance=report.attendance,
        report=report,
        rag_labels=agreements.RAG_LABELS,
    )
