"""Where to act, as data: an endpoint and its arguments.

Services say where something is (`Link.to("school_admin.concern_detail", concern_id=...)`) and never build a URL:
then the same rule serves a page, the API, the CLI and a worker with no request. The web layer turns a link into a
path (`path_of`, also the templates' `link_path`), and mail into an absolute URL from BASE_URL (`absolute_url_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, url_for


@dataclass(frozen=True)
class Link:
    endpoint: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def to(cls, endpoint: str, **values: Any) -> Link:
        return cls(endpoint, tuple(sorted(values.items())))

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.values)


def path_of(link: Link) -> str:
    """The link's path on this site (inside or outside a request)."""
    if has_request_context():
        return url_for(link.endpoint, **link.arguments)
    with current_app.test_request_context():
        return url_for(link.endpoint, **link.arguments)


def absolute_url_of(link: Link) -> str:
    """The link as a full URL for an e-mail, from BASE_URL."""
    base_url: str = current_app.config["BASE_URL"]
    return base_url + path_of(link)
