"""Incidents reported by the school's providers: acknowledged by the school, and the AP lead's course of action."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.models import Incident
from shared.services.accounts import directory
from shared.services.placements import incidents
from shared.services.placements.incidents import INCIDENT_TYPES, SEVERITIES
from shared.web import apply

# Who reads incidents: the people who respond to behaviour at the providers, or need to know of it.
INCIDENT_READERS = (
    roles.AP_LEAD,
    roles.DSL,
    roles.HEADTEACHER,
    roles.SLT,
    roles.SENDCO,
    roles.ATTENDANCE_LEAD,
)
ACKNOWLEDGERS = (roles.AP_LEAD, roles.DSL, roles.HEADTEACHER, roles.SLT)


class AcknowledgeForm(FlaskForm):
    submit = SubmitField("Acknowledge", widget=GovSubmitInput())


class CourseOfActionForm(FlaskForm):
    course_of_action = TextAreaField(
        "Record the course of action decided with SLT or the headteacher",
        widget=GovTextArea(),
        description="The provider sees this.",
        validators=[
            InputRequired(message="Write the course of action decided with SLT or the headteacher"),
            Length(max=5000, message="Keep this to 5000 characters or fewer"),
        ],
    )
    submit = SubmitField("Record course of action", widget=GovSubmitInput())


@bp.get("/incidents")
@access(roles=INCIDENT_READERS)
def incidents_list():
    rows = incidents.incidents_for_school(current_organisation().id)
    providers = directory.organisation_names(i.provider_id for i in rows)
    return render_template(
        "school_admin/incidents/list.html",
        incidents=rows,
        pupils=incidents.pupils_of(rows),
        providers=providers,
        types=INCIDENT_TYPES,
        severities=SEVERITIES,
        local=incidents.local,
        serious=incidents.is_serious,
    )


def _page(incident: Incident, course_form: CourseOfActionForm, form=None):
    return render_template(
        "school_admin/incidents/detail.html",
        incident=incident,
        provider=directory.organisation(incident.provider_id),
        pupils=incidents.pupils_of([incident])[incident.id],
        types=INCIDENT_TYPES,
        severities=SEVERITIES,
        local=incidents.local,
        serious=incidents.is_serious(incident),
        names=incidents.names_of([incident.reported_by_id, incident.acknowledged_by_id, incident.course_decided_by_id]),
        acknowledge_form=AcknowledgeForm(),
        course_form=course_form,
        form=form,
        can_acknowledge=current_user.has_role(*ACKNOWLEDGERS) and incident.acknowledged_at is None,
        can_record_course=current_user.has_role(roles.AP_LEAD) and incident.course_of_action is None,
    )


@bp.get("/incidents/<uuid:incident_id>")
@access(roles=INCIDENT_READERS)
def incident_detail(incident_id: uuid.UUID):
    return _page(own_or_404(Incident, incident_id, owner="school_id"), CourseOfActionForm())


@bp.post("/incidents/<uuid:incident_id>/acknowledge")
@access(roles=ACKNOWLEDGERS)
def acknowledge_incident(incident_id: uuid.UUID):
    incident = own_or_404(Incident, incident_id, owner="school_id")
    form = AcknowledgeForm()
    if form.validate_on_submit() and apply(
        form, lambda: incidents.acknowledge(incident, by=current_user), field="submit"
    ):
        flash("Incident acknowledged. The provider can see that you have.")
    for message in form.submit.errors:
        flash(message, "error")
    return redirect(url_for("school_admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<uuid:incident_id>/course-of-action")
@access(roles={roles.AP_LEAD})
def record_course_of_action(incident_id: uuid.UUID):
    incident = own_or_404(Incident, incident_id, owner="school_id")
    form = CourseOfActionForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: incidents.record_course_of_action(incident, form.course_of_action.data, by=current_user),
        field="course_of_action",
    ):
        flash("Course of action recorded. The provider can see it.")
        return redirect(url_for("school_admin.incident_detail", incident_id=incident.id))
    return _page(incident, form, form)
