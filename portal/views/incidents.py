"""Behaviour incidents: every provider user reports them and sees their provider's, with the school's response.
A provider sees only its own incidents and reports only about pupils placed with it."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line
from shared.models import Incident
from shared.services.placements import incidents
from shared.services.placements.incidents import INCIDENT_TYPES, SEVERITIES, IncidentReport
from shared.services.providers.lists import school_labels
from shared.web import apply

REPORTERS = (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL, roles.PROVIDER_STAFF)
YES_NO = {"yes": "Yes", "no": "No"}


def _details(label: str, description: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[Optional(), Length(max=5000, message="Keep this to 5000 characters or fewer")],
    )


def _yes_no(label: str, message: str) -> RadiosField:
    return RadiosField(
        label, choices=choices_from(YES_NO), invalid_message=message, validators=[InputRequired(message=message)]
    )


class IncidentForm(FlaskForm):
    occurred_on = DayMonthYearField(
        "Date of the incident",
        description="For example, 27 11 2026",
        validators=[InputRequired(message="Enter the date of the incident")],
    )
    occurred_time = StringField(
        "Time of the incident",
        widget=GovTextInput(),
        description="For example, 14:30 or 2:30pm",
        filters=[single_line],
        validators=[InputRequired(message="Enter the time of the incident"), Length(max=10)],
    )
    site_id = RadiosField(
        "Where did it happen?",
        invalid_message="Choose where the incident happened",
        validators=[InputRequired(message="Choose where the incident happened")],
    )
    location = StringField(
        "Where exactly",
        widget=GovTextInput(),
        description="For example, the workshop or the car park. Needed if it happened somewhere else.",
        filters=[single_line],
        validators=[Optional(), Length(max=150, message="Keep where it happened to 150 characters or fewer")],
    )
    placement_ids = MultiCheckboxField(
        "Pupils involved",
        invalid_message="Select only pupils placed with you",
        validators=[InputRequired(message="Select the pupil or pupils involved")],
    )
    incident_type = RadiosField(
        "Type of incident",
        choices=choices_from(INCIDENT_TYPES),
        invalid_message="Choose the type of incident",
        validators=[InputRequired(message="Choose the type of incident")],
    )
    severity = RadiosField(
        "How serious was it?",
        choices=choices_from(SEVERITIES),
        invalid_message="Choose how serious the incident was",
        validators=[InputRequired(message="Choose how serious the incident was")],
    )
    description = TextAreaField(
        "What happened",
        widget=GovTextArea(),
        description="The facts: what you saw and heard, in order.",
        validators=[InputRequired(message="Say what happened"), Length(max=5000)],
    )
    actions_taken = TextAreaField(
        "Actions taken",
        widget=GovTextArea(),
        validators=[InputRequired(message="Say what actions were taken"), Length(max=5000)],
    )
    physical_intervention = _yes_no(
        "Was there a physical intervention?", "Say whether there was a physical intervention"
    )
    physical_intervention_details = _details(
        "Details of the physical intervention", "If yes: who, what hold, and for how long."
    )
    injury = _yes_no("Was anyone injured?", "Say whether anyone was injured")
    injury_details = _details("Details of the injury", "If yes: who was hurt, how, and any first aid given.")
    parents_informed = _yes_no("Have parents or carers been told?", "Say whether parents or carers have been told")
    suspension = _yes_no("Has the pupil been suspended?", "Say whether the pupil has been suspended")
    school_agreement = _details(
        "Who at the school agreed the suspension, and when",
        "A suspension at the provider is recorded only with the school's agreement noted.",
    )
    submit = SubmitField("Report incident", widget=GovSubmitInput())


def _pupil_choice(placement, schools: dict) -> str:
    """A pupil as the form offers them: with the year group, and the school when the provider works with several."""
    details = [d for d in (placement.pupil.year_label, schools.get(placement.school_id)) if d]
    return f"{placement.pupil.known_as} ({', '.join(details)})" if details else placement.pupil.known_as


def _form(provider_id: uuid.UUID) -> tuple[IncidentForm, dict]:
    form = IncidentForm()
    sites = {str(site.id): site.name for site in incidents.provider_sites(provider_id)}
    form.site_id.choices = choices_from({**sites, "elsewhere": "Somewhere else"})
    schools = school_labels(provider_id)
    placements = incidents.reportable_placements(provider_id)
    form.placement_ids.choices = choices_from({str(p.id): _pupil_choice(p, schools) for p in placements})
    if schools:
        form.placement_ids.description = (
            "Pupils from different schools are reported as separate incidents: each school sees only its own."
        )
    return form, sites


def _yes(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@bp.get("/incidents")
@access(roles=REPORTERS)
def incidents_list():
    provider_id = current_organisation().id
    rows = incidents.incidents_for_provider(provider_id)
    return render_template(
        "portal/incidents/list.html",
        incidents=rows,
        schools=school_labels(provider_id),
        pupils=incidents.pupils_of(rows),
        types=INCIDENT_TYPES,
        severities=SEVERITIES,
        local=incidents.local,
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
@access(roles=REPORTERS)
def report_incident():
    provider = current_organisation()
    form, _ = _form(provider.id)
    saved = {}
    if form.validate_on_submit():
        details = IncidentReport(
            occurred_on=form.occurred_on.data,
            occurred_time=form.occurred_time.data,
            site_id=form.site_id.data,
            location=form.location.data,
            placement_ids=list(form.placement_ids.data or []),
            incident_type=form.incident_type.data,
            severity=form.severity.data,
            description=form.description.data,
            actions_taken=form.actions_taken.data,
            physical_intervention=_yes(form.physical_intervention.data),
            physical_intervention_details=form.physical_intervention_details.data,
            injury=_yes(form.injury.data),
            injury_details=form.injury_details.data,
            parents_informed=_yes(form.parents_informed.data),
            suspension=_yes(form.suspension.data),
            school_agreement=form.school_agreement.data,
        )
        if apply(
            form,
            lambda: saved.update(incident=incidents.report(provider, details, by=current_user)),
            field="description",
        ):
            incident = saved["incident"]
            school = school_labels(provider.id).get(incident.school_id)
            told = (
                f" {school or 'The school'}'s AP lead has been told at once." if incidents.is_serious(incident) else ""
            )
            flash(f"Incident reported. {school or 'The school'} can see it now.{told}")
            return redirect(url_for("portal.incident_detail", incident_id=incident.id))
    return render_template("portal/incidents/new.html", form=form, has_pupils=bool(form.placement_ids.choices))


@bp.get("/incidents/<uuid:incident_id>")
@access(roles=REPORTERS)
def incident_detail(incident_id: uuid.UUID):
    incident = own_or_404(Incident, incident_id, owner="provider_id")
    return render_template(
        "portal/incidents/detail.html",
        incident=incident,
        school=school_labels(incident.provider_id).get(incident.school_id),
        pupils=incidents.pupils_of([incident])[incident.id],
        types=INCIDENT_TYPES,
        severities=SEVERITIES,
        local=incidents.local,
        names=incidents.names_of([incident.reported_by_id]),
    )
