"""Static files: content-hashed names cached for a year, served before Flask runs (no session, no database)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from shared.assets import FOREVER, HASHED_NAME
from tests.support.chromium import PROJECT_ROOT
from tests.support.client import Browser, html

STATIC = PROJECT_ROOT / "shared" / "static"


@pytest.fixture
def signed_in(world, app) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(world.school(), ["headteacher"]))
    return browser


def _manifest() -> dict[str, str]:
    return json.loads((STATIC / "build" / "manifest.json").read_text(encoding="utf-8"))


def _page_assets(browser: Browser, path: str) -> list[str]:
    return sorted(set(re.findall(r'"(/static/[^"]+)"', html(browser.get(path)))))


def test_pages_name_the_hashed_assets_and_they_exist(signed_in):
    assets = _page_assets(signed_in, "/school/")
    manifest = _manifest()
    assert assets == sorted(f"/static/{manifest[name]}" for name in ("build/app.css", "build/govuk-frontend.min.js")), (
        assets
    )
    for url in assets:
        assert HASHED_NAME.search(url), url
        assert signed_in.client.get(url).status_code == 200, url


def test_a_hashed_asset_is_cached_for_a_year_without_the_session_or_the_database(signed_in, statements):
    url = f"/static/{_manifest()['build/app.css']}"
    statements.clear()
    response = signed_in.client.get(url)
    assert response.status_code == 200
    assert statements == []  # not even the principal query: Flask never saw the request
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == FOREVER == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/css"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b".govuk-template" in response.data

    # Compressed for a browser that accepts it, same headers; the page itself is still signed in.
    compressed = signed_in.client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.headers["Content-Encoding"] == "br" and compressed.headers["Vary"] == "Accept-Encoding"
    assert int(compressed.headers["Content-Length"]) < len(response.data) / 5
    assert compressed.headers["Cache-Control"] == FOREVER and "Set-Cookie" not in compressed.headers
    assert statements == []
    assert signed_in.get("/school/").status_code == 200 and statements  # the page does run its queries


def test_the_javascript_imports_the_same_hashed_module_as_the_page(signed_in, statements):
    """upload-progress.js imports GOV.UK Frontend: by its hashed URL, so the browser loads that module once."""
    manifest = _manifest()
    response = signed_in.client.get(f"/static/{manifest['js/upload-progress.js']}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == FOREVER
    assert response.mimetype == "text/javascript"
    assert f'from "/static/{manifest["build/govuk-frontend.min.js"]}"' in response.get_data(as_text=True)
    assert statements == []


def test_unknown_and_old_asset_names_are_404_without_the_database(signed_in, statements):
    for url in (
        "/static/build/app.000000000000.css",  # a build that is gone
        "/static/build/nothing.js",
        "/static/build/images/govuk-crest.svg",  # named by GOV.UK Frontend's CSS, not shipped
        "/static/../shared/app.py",
        "/static/",
    ):
        response = signed_in.client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers, url
    assert statements == []


def test_the_unhashed_names_still_work_with_a_short_cache(signed_in, statements):
    response = signed_in.client.get("/static/build/app.css")
    assert response.status_code == 200 and b".govuk-template" in response.data
    assert response.headers["Cache-Control"] == "max-age=300, public"
    assert statements == [] and "Set-Cookie" not in response.headers


def test_every_hashed_copy_is_named_after_its_content():
    manifest = _manifest()
    assert set(manifest) == {"build/app.css", "build/govuk-frontend.min.js", "js/upload-progress.js"}
    for name, hashed in manifest.items():
        content = (STATIC / hashed).read_bytes()
        assert HASHED_NAME.search(hashed), hashed
        assert hashed.split(".")[-2] == hashlib.sha256(content).hexdigest()[:12], name
        source = (STATIC / name).read_bytes()
        if name == "js/upload-progress.js":  # its import, rewritten to the hashed name
            source = source.replace(
                b'"../build/govuk-frontend.min.js"', f'"/static/{manifest["build/govuk-frontend.min.js"]}"'.encode()
            )
        assert content == source, f"{hashed} is not the current {name}: run `make assets`"
