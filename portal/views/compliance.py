"""The provider's own compliance with its agreement: the same figures the school sees, over a chosen half-term,
with the trend. Only the provider's DSL sees the notices figure (nobody else there may learn notices exist)."""

from flask import render_template, request
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import access
from shared.auth.tenancy import chosen_school_of_my_provider
from shared.services.agreements import compliance
from shared.services.agreements import terms as agreements
from shared.services.school_calendar import half_terms


@bp.get("/compliance")
@access(roles={roles.PROVIDER_MANAGER, roles.PROVIDER_DSL})
def compliance_page():
    choice = chosen_school_of_my_provider(request.args.get("school"))
    profile = choice.profile
    chosen = half_terms.chosen(choice.school_id, request.args.get("period"))
    view = compliance.provider_view(
        choice, chosen.period, chosen.trend(), notices=current_user.has_role(roles.PROVIDER_DSL)
    )
    return render_template(
        "portal/compliance.html",
        profile=profile,
        choice=choice,
        chosen=chosen,
        period=chosen.period,
        report=view.report,
        trend=view.trend,
        sparklines=view.sparklines(),
        rag_labels=agreements.RAG_LABELS,
    )
