"""The provider's own service level agreement with the school, and the same compliance figures the school sees."""

from flask import render_template

from portal import bp
from shared import roles
from shared.auth.access import current_organisation, roles_required
from shared.services import agreements


@bp.get("/agreement")
@roles_required(roles.PROVIDER_MANAGER, roles.PROVIDER_DSL)
def agreement():
    provider = current_organisation()
    profile = provider.provider_profile
    period = agreements.current_period(profile.school_id)
    return render_template(
        "portal/agreement/agreement.html",
        profile=profile,
        agreement=agreements.agreement_for(provider.id),
        commitments=agreements.COMMITMENTS,
        period=period,
        attendance=agreements.attendance_on_time(provider.id, period.start, period.end),
        rag_labels=agreements.RAG_LABELS,
    )
