"""The provider's own compliance with its agreement: the same figures the school sees, over a chosen half-term,
with the trend. Only the provider's DSL sees the notices figure (nobody else there may learn notices exist)."""

from flask import render_template, request
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import current_organisation, roles_required
from shared.charts import sparkline_svg
from shared.services import agreements, compliance, half_terms


@bp.get("/compliance")
@roles_required(roles.PROVIDER_MANAGER, roles.PROVIDER_DSL)
def compliance_page():
    profile = current_organisation().provider_profile
    chosen = half_terms.chosen(profile.school_id, request.args.get("period"))
    trend_periods = chosen.trend()
    span_start = min([chosen.period.start, *(p.start for p in trend_periods)])
    sources = compliance.load(
        profile.school_id, [profile], half_terms.Period(span_start, chosen.period.end, chosen.period.name)
    )
    report = compliance.figures(sources, profile, chosen.period)
    trend = compliance.trend(sources, profile, trend_periods)
    dsl = current_user.has_role(roles.PROVIDER_DSL)
    if not dsl:
        report = report.without_notices()
        trend.values.pop("notices", None)
        # The overall status per half-term would count the notices: recompute it without them.
        trend.overall = [
            compliance.figures(sources, profile, period).without_notices().overall for period in trend_periods
        ]
    words = [p.name for p in trend.periods]
    sparklines = {
        key: sparkline_svg(
            values,
            label=f"{compliance.TERM_NAMES[key]} by half-term: "
            + "; ".join(
                f"{name}: {'no figure' if v is None else f'{v}%'}" for name, v in zip(words, values, strict=True)
            ),
        )
        for key, values in trend.values.items()
    }
    return render_template(
        "portal/compliance.html",
        profile=profile,
        chosen=chosen,
        period=chosen.period,
        report=report,
        trend=trend,
        sparklines=sparklines if trend.periods else {},
        rag_labels=agreements.RAG_LABELS,
    )
