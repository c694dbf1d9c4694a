"""A link a page shows to someone leads to a page they may open: each demo account (and an SLT member and a governor
added to the demo school, roles the demo has no account for) crawls its side from its home page, GET only, and no
link answers 403, 404 or a server error."""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from freezegun import freeze_time

from shared.config import DEFAULT_DEMO_TOTP_SECRET
from shared.extensions import db
from shared.models import Organisation, User, utcnow
from shared.roles import GOVERNOR, SLT
from shared.services.accounts import people as accounts
from tests.support.client import Browser
from tests.support.demo import DEMO_MOMENT, seed_demo
from tests.support.world import Person

# Links are read on pages up to three links from the home page, and every one of them is opened: deep enough to reach
# a provider's compliance page from the home page (Providers, a provider, its agreement), and it takes seconds.
DEPTH = 3
# Links a crawl does not follow: signing out, and a GET that writes (setting up an authenticator keeps a new secret).
SKIP = ("/sign-out", "/two-step/set-up")
DEMO_ACCOUNTS = [
    *(f"{local}@demo-academy.example" for local in ("headteacher", "ap.lead", "dsl", "attendance", "sendco", "admin")),
    *(
        f"{local}@{domain}"
        for domain in ("northside.example", "eastgate.example")
        for local in ("manager", "dsl", "staff")
    ),
    # Issue 14: the second school and the local authority.
    *(f"{local}@hillside-school.example" for local in ("headteacher", "ap.lead", "dsl")),
    "la.officer@demo-borough.example",
]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _on_this_site(href: str) -> str | None:
    """The path and query of a link to this site, or None (external, mailto:, a fragment on the same page)."""
    href = urldefrag(href).url
    parts = urlsplit(href)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None  # mailto:, tel:, data:
    if parts.netloc and parts.netloc != "localhost":
        return None
    if not parts.path.startswith("/") or any(parts.path.startswith(skip) for skip in SKIP):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(browser: Browser, home: str) -> tuple[int, list[str]]:
    """(pages opened, problems): each problem names the link and every page it was on."""
    found_on: dict[str, list[str]] = {home: ["(home)"]}
    queue = deque([(home, 0)])
    opened, problems = 0, []
    while queue:
        url, depth = queue.popleft()
        response = browser.client.get(url, follow_redirects=True)
        opened += 1
        status = response.status_code
        if status in (403, 404) or status >= 500 or response.request.path.startswith("/sign-in"):
            problems.append(f"{url} answers {status} ({response.request.path}); linked from {found_on[url]}")
            continue
        if depth > DEPTH or response.mimetype != "text/html":
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for href in parser.hrefs:
            target = _on_this_site(href)
            if target is None:
                continue
            if target not in found_on:
                found_on[target] = []
                queue.append((target, depth + 1))
            if url not in found_on[target]:
                found_on[target].append(url)
    return opened, problems


def _add_school_account(app, role: str) -> str:
    with app.app_context():
        school = db.session.query(Organisation).filter_by(name="Demo Academy").one()
        email = f"{role}@demo-academy.example"
        user = accounts.create_user(school, email=email, name=role, roles=[role], password=app.config["DEMO_PASSWORD"])
        user.totp_secret, user.mfa_enabled_at = DEFAULT_DEMO_TOTP_SECRET, utcnow()
        db.session.commit()
        return email


@freeze_time(DEMO_MOMENT)  # a school day in term, never the wall clock's day
def test_every_link_a_demo_account_is_shown_opens(app):
    seed_demo(app)
    password = app.config["DEMO_PASSWORD"]
    problems, opened = [], {}
    for email in [*DEMO_ACCOUNTS, _add_school_account(app, SLT), _add_school_account(app, GOVERNOR)]:
        with app.app_context():
            user = db.session.query(User).filter_by(email=email).one()
            person = Person(
                user.id,
                email,
                password,
                DEFAULT_DEMO_TOTP_SECRET if user.totp_secret else None,
                user.membership.organisation_id,
            )
            home = {"school": "/school/", "provider": "/portal/", "local_authority": "/la/"}[
                user.organisation.kind.value
            ]
        browser = Browser(app.test_client())
        browser.sign_in(person)
        opened[email], found = _crawl(browser, home)
        problems += [f"{email}: {problem}" for problem in found]
    # The local authority's side is small (its home and a few lists); every other account opens more than five pages.
    assert all(count > (1 if email.startswith("la.") else 5) for email, count in opened.items()), opened
    assert not problems, "\n".join(problems)
