"""How well providers keep their service level agreements: the figures for a provider and for one placement over a
chosen period with the half-term trend, and the breaches that raise tasks for the AP lead. (The list of every
provider is `compliance_overview`, beside the agreement pages.)"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404, provider_of_my_school_or_404
from shared.models import ComplianceBreach, Placement
from shared.services.agreements import breaches as compliance_breaches
from shared.services.agreements import compliance
from shared.services.agreements import terms as agreements
from shared.services.school_calendar import half_terms
from shared.web import apply

COMPLIANCE_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT)


class ResolveBreachForm(FlaskForm):
    action_taken = TextAreaField(
        "What you did about it",
        widget=GovTextArea(),
        description="For example: who you spoke to at the provider, what was agreed, and by when",
        validators=[
            InputRequired(message="Enter what you did about the breach, for example who you spoke to"),
            Length(max=compliance_breaches.ACTION_LIMIT, message="What you did must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Record and close the breach", widget=GovSubmitInput())


@bp.get("/compliance/providers/<uuid:provider_id>")
@access(roles=COMPLIANCE_READERS)
def provider_compliance(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    chosen = half_terms.chosen(link.school_id, request.args.get("period"))
    view = compliance.provider_view(link, chosen.period, chosen.trend())
    sources = view.sources
    placements = sorted(sources.placements[provider_id], key=lambda p: p.pupil.full_name.lower())
    by_placement = [
        (placement, compliance.figures(sources, link, chosen.period, placement=placement))
        for placement in placements
        if placement.start_date <= chosen.period.end
        and (placement.end_date is None or placement.end_date >= chosen.period.start)
    ]
    return render_template(
        "school_admin/compliance/provider.html",
        profile=profile,
        chosen=chosen,
        period=chosen.period,
        report=view.report,
        trend=view.trend,
        sparklines=view.sparklines(),
        by_placement=by_placement,
        overrides=sources.overrides,
        breaches=compliance_breaches.breaches(link.school_id, provider_id=provider_id),
        term_name=compliance_breaches.term_name,
        rag_labels=agreements.RAG_LABELS,
    )


@bp.get("/compliance/placements/<uuid:placement_id>")
@access(roles=COMPLIANCE_READERS)
def placement_compliance(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    link = provider_of_my_school_or_404(placement.provider_id)
    profile = link.profile
    chosen = half_terms.chosen(placement.school_id, request.args.get("period"))
    sources = compliance.load(placement.school_id, [link], chosen.period)
    placed = next(p for p in sources.placements[link.provider_id] if p.id == placement.id)
    report = compliance.figures(sources, link, chosen.period, placement=placed)
    return render_template(
        "school_admin/compliance/placement.html",
        placement=placed,
        profile=profile,
        chosen=chosen,
        period=chosen.period,
        report=report,
        own_terms=placement.id in sources.overrides,
        rag_labels=agreements.RAG_LABELS,
    )


@bp.get("/compliance/breaches")
@access(roles=COMPLIANCE_READERS)
def compliance_breaches_list():
    school = current_organisation()
    return render_template(
        "school_admin/compliance/breaches.html",
        breaches=compliance_breaches.breaches(school.id),
        term_name=compliance_breaches.term_name,
        providers={p.provider_id: p.provider.name for p in compliance.approved_providers(school.id)},
    )


@bp.route("/compliance/breaches/<uuid:breach_id>", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def resolve_compliance_breach(breach_id: uuid.UUID):
    breach = own_or_404(ComplianceBreach, breach_id, owner="school_id")
    form = ResolveBreachForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: compliance_breaches.resolve_breach(
            current_organisation(), breach_id, form.action_taken.data, by=current_user._get_current_object()
        ),
        field="action_taken",
    ):
        flash("Breach closed with what you did")
        return redirect(url_for("school_admin.compliance_breaches_list"))
    link = provider_of_my_school_or_404(breach.provider_id)
    profile = link.profile
    return render_template(
        "school_admin/compliance/resolve.html",
        breach=breach,
        profile=profile,
        term_name=compliance_breaches.term_name(breach),
        form=form,
    )
