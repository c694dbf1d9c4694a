"""What people and callers see when the database goes away, and that the app recovers by itself when it comes back.

The database really goes away: the app reaches PostgreSQL (TEST_DATABASE_URL's server, a database of this module's
own) through a TCP proxy on a port of its own (tests/support/services.py), and the tests stop the proxy (connections
are refused and the pooled ones are cut) and start it again. Nothing is mocked.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import make_url

from shared.models import ProviderStatus
from tests.support import database
from tests.support.app import make_app
from tests.support.client import Browser, csrf_from, html
from tests.support.services import TcpProxy
from tests.support.world import World

DOWN_TEXT = "The service is unavailable for a moment. Try again in a minute."


@pytest.fixture(scope="module")
def proxy():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("the database fault tests need PostgreSQL: set TEST_DATABASE_URL")
    target = make_url(url)
    tcp = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    tcp.start()
    yield tcp
    tcp.stop()


@pytest.fixture(scope="module")
def faults_app(proxy, smtp_server, tmp_path_factory):
    """The app on a PostgreSQL database of its own, reached through the proxy."""
    url = make_url(os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_faults" + (f"_{database.worker_id()}" if database.worker_id() else "")
    url = url.set(database=name, host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    database.prepare(url)
    controller, _ = smtp_server
    application = make_app(url, controller.port, tmp_path_factory.mktemp("faults"))
    with application.app_context():
        upgrade()
    return application


@pytest.fixture
def outage(faults_app, proxy):
    """The proxy is running at the start of each test and after it, whatever the test did; tables end empty."""
    yield proxy
    if proxy._listener is None:
        proxy.start()
    database.empty_tables(faults_app)


@pytest.fixture
def people(faults_app, outage):
    world = World(faults_app)
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    teacher = world.user(school, ["dsl"])
    _token_id, token = world.api_token(provider)
    browser = Browser(faults_app.test_client())
    browser.sign_in(teacher)
    return browser, token


def assert_page_says_try_again(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.mimetype == "text/html"
    page = html(response)
    assert "Sorry, the service is unavailable" in page
    assert DOWN_TEXT in page
    assert "Traceback" not in page and "OperationalError" not in page and "psycopg" not in page
    assert response.headers["Cache-Control"] == "no-store"  # the security headers still go out
    assert "Content-Security-Policy" in response.headers


def test_sign_in_page_says_try_again_while_the_database_is_down_and_works_when_it_is_back(faults_app, outage):
    client = faults_app.test_client()
    form = client.get("/sign-in")
    assert form.status_code == 200
    outage.stop()
    assert_page_says_try_again(client.get("/sign-in"))
    sent = client.post(
        "/sign-in",
        data={"csrf_token": csrf_from(html(form)), "email": "someone@school.example", "password": "a password here"},
    )
    assert_page_says_try_again(sent)  # the form sent while the database is away: the same answer, no stack trace
    outage.start()
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert "Sign in" in html(response)


def test_a_signed_in_page_says_try_again_and_the_session_survives_the_outage(people, outage):
    browser, _token = people
    assert browser.get("/school/").status_code == 200
    outage.stop()
    assert_page_says_try_again(browser.get("/school/"))
    outage.start()
    response = browser.get("/school/")
    assert response.status_code == 200  # still signed in: nothing was ended while the database was away
    assert "Sign out" in html(response)


def test_the_api_answers_json_503_while_the_database_is_down(faults_app, people, outage):
    _browser, token = people
    client = faults_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sessions", headers=auth).status_code == 200
    outage.stop()
    response = client.get("/api/v1/sessions", headers=auth)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["error"]["code"] == "service_unavailable"
    assert "Try again in a minute" in response.json["error"]["message"]
    outage.start()
    assert client.get("/api/v1/sessions", headers=auth).status_code == 200


def test_health_check_names_the_database_while_it_is_down(faults_app, outage):
    client = faults_app.test_client()
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    outage.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json == {"status": "degraded", "database": "unavailable"}
    outage.start()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_check_names_redis_when_it_is_configured_and_down(app):
    from shared.app import create_app
    from tests.support.services import free_port

    down = create_app({**app.config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_a_database_that_never_answers_gets_503_within_the_connect_timeout(app):
    """A database behind a dead network: the connection is accepted (here by a socket nobody reads) but never
    answered. The request gives up after DB_CONNECT_TIMEOUT seconds instead of hanging until TCP gives up."""
    import socket
    import threading

    from shared.app import create_app

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; no one ever reads or answers
    port = silent.getsockname()[1]
    try:
        stuck = create_app(
            {
                **app.config,
                "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://nobody@127.0.0.1:{port}/none",
                "DB_CONNECT_TIMEOUT": 1,
            }
        )
        answers = []
        request = threading.Thread(target=lambda: answers.append(stuck.test_client().get("/sign-in")), daemon=True)
        request.start()
        request.join(timeout=15)
        assert answers, "the request was still waiting for the database after 15 seconds"
        assert_page_says_try_again(answers[0])
    finally:
        silent.close()


def test_a_database_restart_between_two_requests_costs_no_failed_request(faults_app, people, outage):
    """The pooled connections the restart cut are replaced as they leave the pool (shared/db_pool.py looks at each
    one's socket, with no query sent): the first page and the first API call after the restart both answer."""
    browser, token = people
    api = faults_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert browser.get("/school/").status_code == 200
    assert api.get("/api/v1/sessions", headers=auth).status_code == 200
    outage.stop()  # every connection through the proxy is cut, as a database restart cuts the pool's
    outage.start()
    response = browser.get("/school/")
    assert response.status_code == 200
    assert "Sign out" in html(response)
    assert api.get("/api/v1/sessions", headers=auth).status_code == 200


def test_a_connection_the_server_closed_is_seen_without_a_query(faults_app, outage):
    from shared.db_pool import closed_by_server
    from shared.extensions import db

    with faults_app.app_context():
        raw = db.engine.raw_connection()
        try:
            dbapi = raw.dbapi_connection
            assert not closed_by_server(dbapi)  # healthy and idle: nothing to read
            outage.stop()
            # The proxy closed its end; the end of file reaches this socket as the close returns, on loopback.
            assert closed_by_server(dbapi)
        finally:
            raw.invalidate()
