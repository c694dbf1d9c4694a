"""A side's menu, built from the access declarations (shared.auth.access): an item names only its endpoint, its text
and when it is the current one, and a person sees it iff the endpoint's declaration lets their roles open it (and
any extra condition of the item holds).

The menu is on every signed-in page, so its cost counts: each link's URL is worked out once per app (thirteen
url_for calls per page were most of the cost of a light page like the headteacher's home), and which items a set of
roles sees is worked out once per app and set of roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, request, url_for
from flask_login import current_user
from markupsafe import Markup

from shared.auth.access import declarations
from shared.models import OrganisationKind


def fixed_url(endpoint: str) -> str:
    """url_for(endpoint) of an endpoint with no arguments (home, your account, sign out: on every page), worked out
    once per app, as the menu's links are."""
    urls: dict[str, str] = current_app.extensions.setdefault("fixed_urls", {})
    url = urls.get(endpoint)
    if url is None:
        url = urls[endpoint] = url_for(endpoint)
    return url


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    text: str
    is_current: Callable[[str], bool]  # given the request's endpoint
    # A condition beyond the endpoint's declaration, given `can_open(endpoint)` for the same roles; None: none.
    also: Callable[[Callable[[str], bool]], bool] | None = None


class Menu:
    def __init__(self, name: str, kind: OrganisationKind, items: list[MenuItem]) -> None:
        self.name, self.kind, self.items = name, kind, items

    def _cache(self) -> dict[str, Any]:
        cache = current_app.extensions.get(self.name)
        if cache is None:
            cache = {"hrefs": {item.endpoint: url_for(item.endpoint) for item in self.items}, "visible": {}}
            current_app.extensions[self.name] = cache
        return cache

    def items_for(self, roles: frozenset[str]) -> list[MenuItem]:
        """The items someone on this side with these roles sees, in order."""
        visible: dict[frozenset[str], list[MenuItem]] = self._cache()["visible"]
        items = visible.get(roles)
        if items is None:
            registry = declarations()

            def can_open(endpoint: str) -> bool:
                return registry[endpoint].allows(self.kind, roles)

            items = [i for i in self.items if can_open(i.endpoint) and (i.also is None or i.also(can_open))]
            visible[roles] = items
        return items

    def __call__(self) -> tuple[tuple[str, str, bool], ...]:
        """(href, text, current) for the signed-in person's menu; empty for anyone not on this side."""
        user = current_user._get_current_object()
        if not (user.is_authenticated and user.organisation_kind == self.kind):
            return ()
        endpoint = request.endpoint or ""
        hrefs = self._cache()["hrefs"]
        return tuple(
            (hrefs[item.endpoint], item.text, item.is_current(endpoint)) for item in self.items_for(user.roles)
        )


_ITEM = Markup(
    '<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="{}">{}</a></li>'
)
_CURRENT_ITEM = Markup(
    '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
    '<a class="govuk-service-navigation__link" href="{}" aria-current="true">'
    '<strong class="govuk-service-navigation__active-fallback">{}</strong></a></li>'
)


@lru_cache(maxsize=1024)
def menu_items(items: tuple[tuple[str, str, bool], ...], account: str, on_account: bool) -> Markup:
    """The menu's links, "Your account" last (`account` its URL; `on_account`: it is the page shown), in GOV.UK
    service navigation markup, the current one marked. The same few menus are drawn on every signed-in page, so
    each is made once (a menu is its items: a side, a set of roles and the page shown) instead of by the template
    on every request."""
    links = [*items, (account, "Your account", on_account)]
    return Markup("\n").join((_CURRENT_ITEM if current else _ITEM).format(href, text) for href, text, current in links)
