"""Schools asking to work with the provider (a second school invited it with one of its managers' addresses): the
manager accepts in the existing account (no second account, nothing to upload again) or declines."""

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.services.providers import requests


@bp.get("/schools/asking")
@access(roles={roles.PROVIDER_MANAGER})
def school_requests():
    return render_template(
        "portal/school_requests.html",
        organisation=current_organisation(),
        asking=requests.requests_of(current_organisation().id),
    )


def _answered(school_id: uuid.UUID):
    """None when the school is waiting for this provider's answer; else where to go (a school it already works
    with: its answer was given) or 404 (any other school, as if it did not exist)."""
    if requests.request_of(current_organisation().id, school_id) is not None:
        return None
    link = requests.relationship_of(current_organisation().id, school_id)
    if link is None:
        abort(404)
    flash(f"You already work with {link.school.name}.")
    return redirect(url_for("portal.school_requests"))


@bp.post("/schools/asking/<uuid:asking_school_id>/accept")
@access(roles={roles.PROVIDER_MANAGER})
def accept_school_request(asking_school_id: uuid.UUID):
    if (answered := _answered(asking_school_id)) is not None:
        return answered
    link = requests.request_of(current_organisation().id, asking_school_id)
    assert link is not None, "checked by _answered"
    requests.accept(link, by=current_user._get_current_object())
    flash(
        f"You now work with {link.school.name}. It can see your details and evidence: "
        "finish its onboarding from your task list."
    )
    return redirect(url_for("portal.school_requests"))


@bp.post("/schools/asking/<uuid:asking_school_id>/decline")
@access(roles={roles.PROVIDER_MANAGER})
def decline_school_request(asking_school_id: uuid.UUID):
    if (answered := _answered(asking_school_id)) is not None:
        return answered
    link = requests.request_of(current_organisation().id, asking_school_id)
    assert link is not None, "checked by _answered"
    name = link.school.name
    requests.decline(link, by=current_user._get_current_object())
    flash(f"You declined {name}'s invitation. It cannot see anything of yours.")
    return redirect(url_for("portal.school_requests"))
