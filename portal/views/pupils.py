"""The provider's placed pupils: who is placed here, and what the school has shared about each.

A provider sees a placed pupil's name, year group and date of birth, the placement's sites, timetable and dates, and
the need-to-know summary the school's SENDCO or DSL wrote. Never the rest of the pupil's record (UPN, social care,
SEND status, legal basis, cost, the school's reasons): those are not even passed to the templates.
"""

import uuid

from flask import abort, render_template
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.clock import local_now
from shared.models.pupil import TIMETABLE_SLOTS
from shared.roles import PROVIDER_ROLES
from shared.services.placements import progress, reintegration, risk
from shared.services.placements.plans import SLOT_LABELS, provider_placement, provider_placements
from shared.services.placements.pupils import YEAR_GROUPS
from shared.services.providers.lists import school_labels


def _shared_view(placement, schools: dict) -> dict:
    """The only facts of a placement a provider is shown; its school's name when the provider works with several
    (`schools`, providers.lists.school_labels's answer)."""
    pupil = placement.pupil
    return {
        "id": placement.id,
        "school": schools.get(placement.school_id),
        "name": pupil.known_as,
        "year_group": YEAR_GROUPS.get(pupil.year_group, "Not given"),
        "date_of_birth": pupil.date_of_birth,
        "sites": [f"{site.name}, {site.address_line_1}, {site.town}, {site.postcode}" for site in placement.sites],
        "timetable": [SLOT_LABELS[slot] for slot in placement.timetable or [] if slot in SLOT_LABELS],
        "start_date": placement.start_date,
        "max_end_date": placement.max_end_date,
        "end_date": placement.end_date,
        "summary": {
            "Special educational needs (SEND)": placement.summary_send_needs,
            "Social, emotional and mental health (SEMH) needs": placement.summary_semh_needs,
            "Support plan": placement.summary_support_plan,
            "Learning mentor or other interventions": placement.summary_interventions,
            "Agencies involved": placement.summary_agencies,
        },
        "summary_written": placement.summary_updated_at is not None,
    }


@bp.get("/pupils")
@access(roles=PROVIDER_ROLES)
def pupils():
    today = local_now().date()
    provider_id = current_organisation().id
    schools = school_labels(provider_id)
    placed = [_shared_view(p, schools) for p in provider_placements(provider_id, today)]
    return render_template("portal/pupils/list.html", placed=placed, schools=schools)


@bp.get("/pupils/<uuid:placement_id>")
@access(roles=PROVIDER_ROLES)
def pupil_page(placement_id: uuid.UUID):
    placement = provider_placement(current_organisation().id, placement_id, local_now().date())
    if placement is None:
        abort(404)
    return render_template(
        "portal/pupils/pupil.html",
        placed=_shared_view(placement, school_labels(placement.provider_id)),
        progress={
            "baseline": progress.baseline_of(placement.id),
            "reports": progress.reports_of(placement.id),
            "due": progress.report_due(placement, local_now().date()),
        }
        if current_user.has_role(roles.PROVIDER_MANAGER, roles.PROVIDER_STAFF)
        else None,
        phased=(plan := reintegration.plan_of(placement.id)),
        weeks=plan and reintegration.week_rows(plan),
        slots=TIMETABLE_SLOTS,
        slot_labels=SLOT_LABELS,
        risk_assessment_written=current_user.has_role(roles.PROVIDER_DSL)
        and risk.is_written(risk.of_placement(placement)),
    )
