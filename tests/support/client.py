"""A browser-like test client: CSRF tokens read from pages, as a person's browser would."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.world import Person

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Browser:
    def __init__(self, client):
        self.client = client
        self.last_html = ""

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html":
            self.last_html = response.get_data(as_text=True)
        return response

    def token(self) -> str:
        """A CSRF token for this session (one token serves every form in a session)."""
        if CSRF_RE.search(self.last_html or ""):
            return csrf_from(self.last_html)
        page = self.get("/account")
        if page.status_code != 200:
            page = self.get("/sign-in")
        return csrf_from(page.get_data(as_text=True))

    def submit(self, page_url: str, data: dict, *, post_url: str | None = None, **kwargs):
        """Open the page, then send its form with the page's CSRF token (what a person's browser does)."""
        page = self.get(page_url)
        token = csrf_from(page.get_data(as_text=True))
        response = self.client.post(post_url or page_url, data={**data, "csrf_token": token}, **kwargs)
        if response.mimetype == "text/html":
            self.last_html = response.get_data(as_text=True)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        response = self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)
        if response.mimetype == "text/html":
            self.last_html = response.get_data(as_text=True)
        return response

    def sign_in(self, person: Person, *, code_offset: int = 0):
        response = self.submit("/sign-in", {"email": person.email, "password": person.password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        if person.totp_secret:
            assert response.location.endswith("/sign-in/security-code")
            response = self.submit("/sign-in/security-code", {"code": person.code(code_offset)})
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response


def html(response) -> str:
    return response.get_data(as_text=True)


def post_all_at_once(browsers: list[Browser], url: str, data: dict) -> list:
    """Each browser sends the form on `url` at the same moment, from a thread of its own (as several tabs or machines
    would): each opens the page first for its CSRF token, then all wait at a barrier and post together."""
    tokens = [csrf_from(html(b.get(url))) for b in browsers]
    barrier = threading.Barrier(len(browsers))
    responses: list = [None] * len(browsers)
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            responses[index] = browsers[index].client.post(url, data={**data, "csrf_token": tokens[index]})
        except BaseException as exc:  # reported in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    assert all(r is not None for r in responses), "a request did not finish"
    return responses


@contextmanager
def counting_statements(app) -> Iterator[list[str]]:
    """The SQL statements the app sends inside the block, one entry each (the `statements` fixture uses it)."""
    from sqlalchemy import event

    from shared.extensions import db

    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
