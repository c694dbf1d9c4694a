"""The browser tests' fixtures, shared by every tests/test_browser*.py: one live server over the test database and
one Chromium per process (Playwright's sync API allows one at a time), and a fresh browser context per page."""

from __future__ import annotations

import pytest

from tests.support.chromium import Chromium, LiveServer


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    browsers = Chromium()
    yield browsers
    browsers.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Opens a page in a fresh browser context on the live server; the contexts are closed after the test."""
    pages = []

    def open_page():
        page = chromium.new_page(live_server.url)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.context.close()
