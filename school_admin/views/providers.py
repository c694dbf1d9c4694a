"""Providers the school uses; the AP lead invites new ones."""

import uuid
from datetime import datetime, time

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from school_admin.forms import DecisionForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import provider_of_my_school_or_404
from shared.clock import today
from shared.evidence_catalogue import PROVIDER_TYPE_LABELS, ProviderType, required_evidence
from shared.forms import email_field, name_field, single_line
from shared.models import ProviderStatus, SchoolProvider, utcnow
from shared.services.accounts import directory
from shared.services.accounts import people as accounts
from shared.services.attendance import decisions
from shared.services.evidence import staff_flags, staff_list
from shared.services.evidence.expiry import is_at_risk
from shared.services.evidence.status import current_documents, evidence_lines
from shared.services.placements import incidents, reviews
from shared.services.placements import plans as placements
from shared.services.providers import approval, reapproval, standards
from shared.services.providers import lists as provider_lists
from shared.services.providers.onboarding import dsl_training_needs_renewing
from shared.services.safeguarding import policies as safeguarding_policies
from shared.web import apply

# Who may see the list of providers: the people who place pupils or oversee provision.
PROVIDER_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.DSL, roles.SLT, roles.SENDCO, roles.ATTENDANCE_LEAD)


class InviteProviderForm(FlaskForm):
    provider_name = StringField(
        "Provider's name",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[
            InputRequired(message="Enter the provider's name"),
            Length(max=200, message="Provider's name must be 200 characters or fewer"),
        ],
    )
    name = name_field("Provider manager's full name")
    email = email_field("Provider manager's email address")
    submit = SubmitField("Invite provider", widget=GovSubmitInput())


@bp.get("/providers")
@access(roles=PROVIDER_READERS)
def providers():
    school_id = current_organisation().id
    rows = provider_lists.providers_of_school(school_id)
    flagged = staff_flags.open_flags_of_school(school_id, [org.id for org, _, _ in rows]).provider_ids
    return render_template(
        "school_admin/providers.html", rows=rows, flagged=flagged, can_invite=current_user.has_role(roles.AP_LEAD)
    )


def _provider_page(link: SchoolProvider, form: DecisionForm):
    profile = link.profile
    kind = ProviderType(profile.provider_type) if profile.provider_type else None
    documents = current_documents(profile.organisation_id)
    return render_template(
        "school_admin/provider.html",
        profile=profile,
        link=link,
        organisation=profile.organisation,
        type_label=PROVIDER_TYPE_LABELS.get(kind, "Not given yet") if kind else "Not given yet",
        checklist=approval.approval_checklist(link),
        requirements=[(evidence, documents.get(evidence.code)) for evidence in required_evidence(kind)],
        evidence_lines=evidence_lines(profile),
        staff=staff_list.active_staff(profile.organisation_id),
        confirmation=staff_list.current_confirmation(profile.organisation_id, link.school_id),
        open_staff_flags=staff_flags.open_flags(link),
        dsl_training_old=dsl_training_needs_renewing(profile, today()),
        decisions=provider_lists.decisions_of(link),
        school_policy=safeguarding_policies.current_policy(link.school_id),
        policy_state=safeguarding_policies.confirmation_checklist_state(link),
        policy_review=safeguarding_policies.latest_review(profile.organisation_id, link.school_id),
        review_outcomes=safeguarding_policies.REVIEW_OUTCOMES,
        **_self_assessment(profile.organisation_id),
        can_review_policy=current_user.has_role(roles.DSL),
        form=form,
        can_decide=current_user.has_role(roles.AP_LEAD) and link.status == ProviderStatus.SUBMITTED,
        can_set_deadlines=current_user.has_role(roles.AP_LEAD),
        warning=placements.registration_warning(profile.organisation_id),
        at_risk=is_at_risk(link),
        reapproval_due=reapproval.is_due(link, utcnow()),
        history=provider_lists.history_of(link, limit=30, safeguarding=current_user.has_role(roles.DSL)),
        **_shared_visits(link),
    )


def _self_assessment(provider_id: uuid.UUID) -> dict:
    latest = standards.latest_self_assessment(provider_id)
    return {
        "self_assessment": latest,
        "self_assessed": standards.assessed_standards(latest) if latest else [],
        "self_assessed_by": incidents.names_of([latest.submitted_by_id]) if latest else {},
    }


def _shared_visits(link: SchoolProvider) -> dict:
    """Visits to the provider shared by the other schools using it and by the school's local authority."""
    visits = reviews.visits_shared_with_school(current_organisation(), link.provider_id)
    return {
        "shared_visits": visits,
        "shared_visit_sites": reviews.site_names(v.site_id for v in visits if v.site_id),
        "shared_visit_by": directory.organisation_names(v.school_id for v in visits),
    }


@bp.get("/providers/<uuid:provider_id>")
@access(roles=PROVIDER_READERS)
def provider_page(provider_id: uuid.UUID):
    return _provider_page(provider_of_my_school_or_404(provider_id), DecisionForm())


@bp.post("/providers/<uuid:provider_id>/decision")
@access(roles={roles.AP_LEAD})
def decide_provider(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    form = DecisionForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: approval.decide(link, approve=form.decision.data == "approve", notes=form.notes.data, by=current_user),
        field="notes",
    ):
        flash(f"Decision recorded for {link.provider.name}")
        return redirect(url_for("school_admin.provider_page", provider_id=provider_id))
    return _provider_page(link, form)


@bp.route("/providers/invite", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def invite_provider():
    form = InviteProviderForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: accounts.invite_provider(
            current_organisation(),
            provider_name=form.provider_name.data,
            manager_name=form.name.data,
            manager_email=form.email.data,
            by=current_user._get_current_object(),
        ),
    ):
        flash(f"{form.provider_name.data.strip()} has been invited. Their manager has been sent an e-mail.")
        return redirect(url_for("school_admin.providers"))
    return render_template("school_admin/invite_provider.html", form=form)


def _clock(field_label: str, example: str) -> StringField:
    return StringField(
        field_label,
        widget=GovTextInput(),
        filters=[single_line],
        description=f"Use the 24-hour clock, for example {example}",
        validators=[InputRequired(message=f"Enter the time for {field_label.lower()}")],
    )


class DeadlinesForm(FlaskForm):
    am = _clock("Morning session marks due by", "10:00")
    pm = _clock("Afternoon session marks due by", "14:00")
    submit = SubmitField("Save deadlines", widget=GovSubmitInput())

    def times(self) -> tuple[time, time] | None:
        parsed = []
        for field in (self.am, self.pm):
            try:
                parsed.append(datetime.strptime(field.data.replace(".", ":"), "%H:%M").time())
            except ValueError:
                field.errors.append("Enter a time like 10:00, using the 24-hour clock")
        return (parsed[0], parsed[1]) if len(parsed) == 2 else None


@bp.route("/providers/<uuid:provider_id>/deadlines", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def provider_deadlines(provider_id: uuid.UUID):
    """When the provider's attendance marks are due (its agreement); later marks are recorded as late."""
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    form = DeadlinesForm(
        data={"am": profile.am_marks_due.strftime("%H:%M"), "pm": profile.pm_marks_due.strftime("%H:%M")}
    )
    if (
        form.validate_on_submit()
        and (times := form.times())
        and apply(form, lambda: decisions.save_deadlines(link, am=times[0], pm=times[1], by=current_user), field="am")
    ):
        flash(f"Attendance deadlines saved for {profile.organisation.name}")
        return redirect(url_for("school_admin.provider_page", provider_id=provider_id))
    return render_template("school_admin/provider_deadlines.html", form=form, profile=profile)
