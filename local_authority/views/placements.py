"""The placements the schools in the local authority's area commission, with the date each school told the LA and
the DfE's intended limits on unregistered provision. Filters are a GET form (works without JavaScript); a school
or provider the LA's schools do not use is a 404, like one that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from local_authority import bp
from shared import kept_pages
from shared.auth.access import access
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


kept_pages.keep("local_authority.placements")


@bp.get("/placements")
@access(roles=set(LA_ROLES))
def placements():
    la_id = current_user.organisation_id
    asked = tuple(request.args.get(name) for name in ("school", "provider", "show", "page"))
    limits = Limits.configured()
    today = school_today(utcnow())

    def page() -> dict[str, Any]:
        school, provider, show, number = asked
        schools = area.school_names_of(la_id)
        providers = la_placements.providers_used_by(la_id)
        choice = la_placements.PlacementFilter(
            school_id=chosen(school, schools),
            provider_id=chosen(provider, providers),
            show=show if show in la_placements.SHOWS else la_placements.SHOW_ALL,
            page=page_number(number),
        )
        return {
            "organisation_name": current_user.organisation_name,
            "school_options": options(schools, choice.school_id),
            "provider_options": options(providers, choice.provider_id),
            "choice": choice,
            "found": la_placements.placements_page(la_id, choice, today=today, limits=limits),
            "limits": limits,
            "approaching_weeks": APPROACHING_WEEKS,
            "recent_days": la_placements.RECENT_DAYS,
            "today": today,
        }

    # Kept, for what was asked, while none of the area's placements, pupils, schools or providers change, and for
    # the day: the weeks so far, the limits and "told in the last 14 days" count in days. A school or provider not
    # the LA's own is a 404 from page(), and nothing is kept for it.
    body = kept_pages.content("local_authority/_placements.html", page, depends_on=(asked, today, limits))
    return render_template("local_authority/placements.html", content=body)
