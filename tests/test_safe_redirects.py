"""After signing in or confirming the security code, `next` only ever leads to a path of this site (issue 12)."""

from urllib.parse import quote, urljoin, urlsplit

import pytest

from shared.roles import AP_LEAD

# What arrives as the `next` argument (after the one decoding every query string gets). Each one, read by a browser
# (which drops tabs and newlines and reads a backslash as a slash) or decoded once more, leads somewhere else.
HOSTILE = [
    "//evil.example/phish",
    "///evil.example/phish",
    "/\t/evil.example/phish",
    "/\r/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example/phish",
    "/\x00/evil.example/phish",
    "\t//evil.example/phish",
    " //evil.example/phish",
    "/ /evil.example/phish",
    "/%09/evil.example/phish",
    "/%0d/x",
    "/%0a/evil.example/phish",
    "/%00/evil.example/phish",
    "/%2509/evil.example/phish",
    "/%252F/evil.example/phish",
    "/%2F/evil.example/phish",
    "/%2f%2fevil.example/phish",
    "%2F%2Fevil.example/phish",
    "/%5Cevil.example/phish",
    "/%255Cevil.example/phish",
    "/\\evil.example/phish",
    "\\/evil.example/phish",
    "\\\\evil.example/phish",
    "/\\/evil.example/phish",
    "https://evil.example/phish",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example/phish",
    "/\u00a0/evil.example/phish",
    "/\u2028/evil.example/phish",
    "/\u3000/evil.example/phish",
    "/\u200b/evil.example/phish",
    "/\ufeff/evil.example/phish",
    "/%E2%80%A8/evil.example/phish",
    "/%C2%A0/evil.example/phish",
    "/%25252509/evil.example/phish",
    "/school/pupils?q=%0d%0aSet-Cookie:x=1",
    "/school/pupils?q=%09",
    "/school/pupils?q=a b",
    "/school/pupils?q=%5C",
    "/school/pupils?q=%E2%80%8B",
    "?next=//evil.example",
    "#//evil.example",
]


def _lands_on_this_site(location: str) -> str:
    """The path a browser would go to, asserting it stays on this site."""
    assert location, "no Location"
    assert not any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in location), repr(location)
    # What a browser makes of it: tabs and newlines dropped, backslashes read as slashes, resolved against the page.
    as_read = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    resolved = urlsplit(urljoin("https://portal.example/sign-in", as_read))
    assert resolved.scheme == "https" and resolved.netloc in {"portal.example", "localhost"}, location
    return resolved.path + (f"?{resolved.query}" if resolved.query else "")


def _sign_in(browser, person, next_value: str):
    url = "/sign-in?next=" + quote(next_value, safe="")
    response = browser.submit(url, {"email": person.email, "password": person.password})
    assert response.status_code == 302 and response.location.endswith("/sign-in/security-code")
    return browser.submit("/sign-in/security-code", {"code": person.code()})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_sign_in_never_leads_to_another_site(world, browser, hostile):
    lead = world.user(world.school(), [AP_LEAD])
    response = _sign_in(browser, lead, hostile)
    assert response.status_code == 302
    assert _lands_on_this_site(response.location) == "/school/"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_two_step_confirm_never_leads_to_another_site(world, browser, hostile):
    lead = world.user(world.school(), [AP_LEAD])
    browser.sign_in(lead)
    url = "/two-step/confirm?next=" + quote(hostile, safe="")
    response = browser.submit(url, {"code": lead.code(1)})
    assert response.status_code == 302
    assert _lands_on_this_site(response.location) == "/"
    assert _lands_on_this_site(browser.get(response.location).location) == "/school/"


def test_a_raw_carriage_return_in_the_query_string_is_not_a_server_error(world, browser):
    lead = world.user(world.school(), [AP_LEAD])
    response = browser.get("/sign-in?next=/%0d/x")
    assert response.status_code == 200
    response = browser.submit("/sign-in?next=/%0d/x", {"email": lead.email, "password": lead.password})
    response = browser.submit("/sign-in/security-code", {"code": lead.code()})
    assert response.status_code == 302 and _lands_on_this_site(response.location) == "/school/"


@pytest.mark.parametrize(
    "target",
    [
        "/school/concerns/4f0c7a1e-0000-4000-8000-000000000001?x=1",
        "/school/pupils?page=2&sort=name",
        "/school/pupils?q=Jay%20Marsh",
        "/school/",
    ],
)
def test_a_path_of_this_site_is_kept_with_its_query(world, browser, target):
    lead = world.user(world.school(), [AP_LEAD])
    response = _sign_in(browser, lead, target)
    assert response.status_code == 302 and _lands_on_this_site(response.location) == target


def test_two_step_confirm_keeps_a_path_of_this_site(world, browser):
    lead = world.user(world.school(), [AP_LEAD])
    browser.sign_in(lead)
    target = "/school/concerns/4f0c7a1e-0000-4000-8000-000000000001?x=1"
    response = browser.submit("/two-step/confirm?next=" + quote(target, safe=""), {"code": lead.code(1)})
    assert response.status_code == 302 and _lands_on_this_site(response.location) == target
