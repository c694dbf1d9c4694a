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


def _request_or_404(school_id: uuid.UUID):
    link = requests.request_of(current_organisation().id, school_id)
    if link is None:
        abort(404)
    return link


@bp.post("/schools/asking/<uuid:school_id>/accept")
@access(roles={roles.PROVIDER_MANAGER})
def accept_school_request(school_id: uuid.UUID):
    link = _request_or_404(school_id)
    requests.accept(link, by=current_user._get_current_object())
    flash(
        f"You now work with {link.school.name}. It can see your details and evidence: "
        "finish its onboarding from your task list."
    )
    return redirect(url_for("portal.school_requests"))


@bp.post("/schools/asking/<uuid:school_id>/decline")
@access(roles={roles.PROVIDER_MANAGER})
def decline_school_request(school_id: uuid.UUID):
    link = _request_or_404(school_id)
    name = link.school.name
    requests.decline(link, by=current_user._get_current_object())
    flash(f"You declined {name}'s invitation. It cannot see anything of yours.")
    return redirect(url_for("portal.school_requests"))
