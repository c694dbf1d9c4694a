"""Test fixtures: a real database built by the migrations (SQLite by default, PostgreSQL when
APP_TEST_DATABASE=postgresql and TEST_DATABASE_URL are set), a real SMTP server (aiosmtpd), CSRF on.
What they are built from is in tests/support/.

Under CI=true a skipped test fails the run: nothing is silently left out.
"""

from __future__ import annotations

import shutil
import sys

import freezegun
import pytest
from flask_migrate import upgrade

from shared.extensions import db
from tests.support import database
from tests.support.app import make_app
from tests.support.browser_fixtures import chromium, live_server, new_page  # noqa: F401  (for the browser tests)
from tests.support.ci import pytest_sessionfinish  # noqa: F401  (a hook: under CI=true a skip fails the run)
from tests.support.client import Browser, counting_statements
from tests.support.mail import MailBox, start_smtp
from tests.support.services import aws_test_credentials, clamd, moto_endpoint  # noqa: F401  (fixtures for all tests)
from tests.support.world import World

# pytest's own clock is not frozen with the app's: --durations reports real times, not decades.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


# --- SMTP: a real server on a free port --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server():
    controller, box = start_smtp()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> MailBox:
    _, box = smtp_server
    box.clear()
    return box


# --- database and app: one of each per process (per xdist worker) ---------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = database.database_url(tmp_path_factory)
    database.prepare(url)
    return url


@pytest.fixture(scope="session")
def app(database_url, smtp_server, tmp_path_factory):
    controller, _ = smtp_server
    application = make_app(database_url, controller.port, tmp_path_factory.mktemp("app"))
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def _clean(request):
    """Each test starts with empty tables, an empty upload folder and fresh rate-limit counters."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    shutil.rmtree(application.config["UPLOAD_FOLDER"], ignore_errors=True)
    database.empty_tables(application)
    with application.app_context():
        application.extensions["sign_in_throttle"].reset()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def world(app) -> World:
    return World(app)


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def new_browser(app):
    return lambda: Browser(app.test_client())


@pytest.fixture
def statements(app):
    """The SQL statements the app sends while the test runs (one entry each), for tests that hold a page to a fixed
    number of queries."""
    with counting_statements(app) as seen:
        yield seen


@pytest.fixture
def clashing(monkeypatch):
    """clashing(n): the next n batches of marks (attendance.marks.apply_marks) miss the marks already recorded
    when they look for them, as if another request inserted each one between the batch's lookup and its insert, so
    each of those batches clashes (BatchClash). Every other lookup, and those after the n, are the real ones."""
    from shared.services.attendance import marks

    real = marks.marks_for

    def clash(times: int) -> None:
        left = [times]

        def blind(*args, **kwargs):
            if left[0] > 0 and sys._getframe(1).f_code.co_name == "apply_marks":  # not the pages' own lookups
                left[0] -= 1
                return {}
            return real(*args, **kwargs)

        monkeypatch.setattr(marks, "marks_for", blind)

    return clash


# --- order: the long tests first --------------------------------------------------------------------------------------

# Browser journeys and the link crawl take 5-40 s each, the rest well under a second: started first, they run beside
# the short ones instead of one of them starting last and keeping the other workers idle until it ends.
LONG_TEST_MODULES = ("test_browser", "test_links")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not item.module.__name__.rsplit(".", 1)[-1].startswith(LONG_TEST_MODULES))
