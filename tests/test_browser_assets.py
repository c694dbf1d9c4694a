"""In Chromium: the signed-in school home loads its hashed CSS and JavaScript once; the next page asks only for HTML."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.roles import HEADTEACHER
from tests.test_browser import SCHOOL, check_page, sign_in_with_code

pytestmark = pytest.mark.browser


def _network(page):
    """The requests of the page's next load that went over the network (not served from the browser's cache),
    as (resource type, URL), through the DevTools protocol."""
    sent: dict[str, tuple[str, str]] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", lambda e: sent.__setitem__(e["requestId"], (e["type"], e["request"]["url"])))
    cdp.on("Network.requestServedFromCache", lambda e: sent.pop(e["requestId"], None))
    cdp.send("Network.enable")
    return sent, cdp


def test_the_second_page_comes_without_its_css_and_javascript(world, new_page, live_server):
    head = world.user(world.school(SCHOOL), [HEADTEACHER], mfa=True)
    page = new_page()
    sign_in_with_code(page, head)  # this load fetched the assets (the sign-in pages share them)

    sent, cdp = _network(page)
    page.goto("/school/")
    page.wait_for_load_state("networkidle")
    cdp.detach()
    assert [kind for kind, _url in sent.values()] == ["Document"], sent
    # GOV.UK Frontend's module ran (from the cache) under the CSP; check_page: styled, no CSP error, no axe finding.
    expect(page.locator(".govuk-skip-link[data-govuk-skip-link-init]")).to_have_count(1)
    assert page.watcher.page_errors == []
    check_page(page, "school-home-warm")


def test_a_fresh_browser_gets_the_hashed_assets_compressed_and_immutable(world, new_page, live_server):
    world.school()
    page = new_page()  # an empty cache; the sign-in page names the same assets as every other page
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto("/sign-in")
    page.wait_for_load_state("networkidle")
    assets = {r.url.removeprefix(live_server.url): r for r in responses if "/static/" in r.url}
    assert len(assets) == 2, list(assets)
    for url, response in assets.items():
        headers = response.all_headers()
        assert response.status == 200, url
        assert headers["cache-control"] == "public, max-age=31536000, immutable", url
        assert headers["content-encoding"] in ("br", "gzip"), url
        assert "set-cookie" not in headers, url
