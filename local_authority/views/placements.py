"""The placements the schools in the local authority's area commission, with the date each school told the LA and
the DfE's intended limits on unregistered provision. Filters are a GET form (works without JavaScript); a school
or provider the LA's schools do not use is a 404, like one that does not exist."""

from __future__ import annotations

import uuid

from flask import abort, render_template, request
from markupsafe import Markup, escape

from local_authority import bp
from shared.auth.access import access, current_organisation
from shared.clock import today as school_today
from shared.models.base import utcnow
from shared.roles import LA_ROLES
from shared.services.local_authority import area
from shared.services.local_authority import placements as la_placements
from shared.services.local_authority.limits import APPROACHING_WEEKS, Limits


def chosen(value: str | None, allowed: dict[uuid.UUID, str]) -> uuid.UUID | None:
    """The id a filter names (None for "all"); 404 for one that is not among the LA's own."""
    if not value:
        return None
    try:
        chosen_id = uuid.UUID(value)
    except ValueError:
        abort(404)
    if chosen_id not in allowed:
        abort(404)
    return chosen_id


def options(names: dict[uuid.UUID, str], selected: uuid.UUID | None) -> Markup:
    """A filter's <option>s after its "All" one (hundreds of providers at LA scale: made here, not in a template
    loop)."""
    # Markup.format is a string.Formatter with escaping per field: most of the page's time for 300 providers. The
    # value is a UUID (hex and hyphens, nothing to escape); the name is escaped.
    return Markup(  # noqa: S704 - every name is escaped above; an id is a UUID
        "".join(
            f'<option value="{id_}"{" selected" if id_ == selected else ""}>{escape(name)}</option>'
            for id_, name in names.items()
        )
    )


def page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else 1


@bp.get("/placements")
@access(roles=set(LA_ROLES))
def placements():
    la = current_organisation()
    now = utcnow()
    schools = area.school_names_of(la.id)
    providers = la_placements.providers_used_by(la.id)
    show = request.args.get("show", la_placements.SHOW_ALL)
    choice = la_placements.PlacementFilter(
        school_id=chosen(request.args.get("school"), schools),
        provider_id=chosen(request.args.get("provider"), providers),
        show=show if show in la_placements.SHOWS else la_placements.SHOW_ALL,
        page=page_number(request.args.get("page")),
    )
    limits = Limits.configured()
    today = school_today(now)
    found = la_placements.placements_page(la.id, choice, now=now, today=today, limits=limits)
    return render_template(
        "local_authority/placements.html",
        organisation=la,
        school_options=options(schools, choice.school_id),
        provider_options=options(providers, choice.provider_id),
        choice=choice,
        found=found,
        limits=limits,
        approaching_weeks=APPROACHING_WEEKS,
        recent_days=la_placements.RECENT_DAYS,
        today=today,
    )
