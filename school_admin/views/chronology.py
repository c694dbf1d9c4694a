"""A pupil's safeguarding chronology for the child-protection file: the page, and its CSV and PDF exports.

The school's DSLs only, with a security code given in the last few minutes; every opening and every export is
audited (who, which pupil, which format: never the content)."""

import uuid

from flask import Response, render_template
from flask_login import current_user

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.clock import school_zone
from shared.models import Pupil, utcnow
from shared.services.safeguarding import chronology as chronologies
from shared.services.safeguarding.access_log import access_log


def _pupil(pupil_id: uuid.UUID) -> Pupil:
    return own_or_404(Pupil, pupil_id, owner="school_id")


def _download(body: bytes | str, *, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pupils/<uuid:pupil_id>/chronology")
@access(roles={roles.DSL})
@recent_mfa_required
def pupil_chronology(pupil_id: uuid.UUID):
    pupil = _pupil(pupil_id)
    entries = chronologies.chronology(pupil.school_id, pupil.id)
    chronologies.record_opened(pupil, organisation=current_organisation(), by=current_user)
    return render_template(
        "school_admin/chronology/chronology.html",
        pupil=pupil,
        entries=entries,
        when_in_words=chronologies.when_in_words,
    )


@bp.get("/pupils/<uuid:pupil_id>/chronology.csv")
@access(roles={roles.DSL})
@recent_mfa_required
def pupil_chronology_csv(pupil_id: uuid.UUID):
    pupil = _pupil(pupil_id)
    body = chronologies.as_csv(chronologies.chronology(pupil.school_id, pupil.id))
    chronologies.record_exported(pupil, organisation=current_organisation(), by=current_user, format="csv")
    return _download(body, mimetype="text/csv", filename=f"safeguarding-chronology-{pupil.upn}.csv")


@bp.get("/pupils/<uuid:pupil_id>/chronology.pdf")
@access(roles={roles.DSL})
@recent_mfa_required
def pupil_chronology_pdf(pupil_id: uuid.UUID):
    pupil = _pupil(pupil_id)
    body = chronologies.as_pdf(
        chronologies.chronology(pupil.school_id, pupil.id),
        pupil,
        printed_by=current_user.name,
        printed_at=utcnow(),
    )
    chronologies.record_exported(pupil, organisation=current_organisation(), by=current_user, format="pdf")
    return _download(body, mimetype="application/pdf", filename=f"safeguarding-chronology-{pupil.upn}.pdf")


@bp.get("/safeguarding/access-log")
@access(roles={roles.DSL})
@recent_mfa_required
def safeguarding_access_log():
    """Who opened which concern, notice or chronology, and when (either side), newest first."""
    return render_template(
        "school_admin/chronology/access_log.html",
        accesses=access_log(current_organisation().id),
        local=lambda moment: moment.astimezone(school_zone()),
    )
