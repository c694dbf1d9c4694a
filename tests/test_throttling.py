"""Throttling of sign-in: per account for passwords and codes, a far higher per-IP ceiling, and failing closed."""

import time

import pytest

from shared import mfa
from shared.auth import views
from shared.extensions import db
from shared.models import AuditEvent
from tests.support.app import make_app
from tests.support.client import Browser, html, post_all_at_once


def _fail_password(browser, email, times):
    for _ in range(times):
        response = browser.submit("/sign-in", {"email": email, "password": "wrong password guess"})
        assert response.status_code == 200
    return response


def test_eleventh_password_attempt_is_refused_with_retry_after(world, app):
    school = world.school()
    lead = world.user(school, ["ap_lead"])
    attacker = Browser(app.test_client())
    _fail_password(attacker, lead.email, 10)
    response = attacker.submit("/sign-in", {"email": lead.email, "password": lead.password})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert "too many attempts" in html(response).lower()
    # The account is throttled from anywhere, not just this client...
    assert (
        Browser(app.test_client())
        .submit("/sign-in", {"email": lead.email.upper(), "password": lead.password})
        .status_code
        == 429
    )
    # ...and other accounts are not.
    other = world.user(school, ["dsl"])
    assert (
        Browser(app.test_client()).submit("/sign-in", {"email": other.email, "password": other.password}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in.throttled").count() == 2
        assert db.session.query(AuditEvent).filter_by(action="sign_in.failed").count() == 10


def test_thirty_wrong_passwords_at_once_are_checked_no_more_than_the_limit(world, app, monkeypatch):
    school = world.school()
    lead = world.user(school, ["ap_lead"])
    # Tests hash with argon2's cheapest parameters; in production a check takes about 0.1 s, time enough for
    # requests arriving together to overlap. Give each check that time here.
    real_verify = views.verify_password

    def verify_as_slowly_as_production(*args, **kwargs):
        time.sleep(0.1)
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(views, "verify_password", verify_as_slowly_as_production)
    browsers = [Browser(app.test_client()) for _ in range(30)]
    responses = post_all_at_once(browsers, "/sign-in", {"email": lead.email, "password": "wrong password guess"})
    # Ten attempts are allowed and checked; the other twenty are refused without looking at the password.
    assert sorted(r.status_code for r in responses) == [200] * 10 + [429] * 20
    assert all("Enter a correct email address and password" in html(r) for r in responses if r.status_code == 200)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in.failed").count() == 10
    # Locked: the right password is refused too.
    response = Browser(app.test_client()).submit("/sign-in", {"email": lead.email, "password": lead.password})
    assert response.status_code == 429


def test_thirty_wrong_security_codes_at_once_are_checked_no_more_than_the_limit(world, app, monkeypatch):
    school = world.school()
    dsl = world.user(school, ["dsl"])
    # A code is checked in microseconds here; under load (or a slow database) requests sent together overlap for
    # longer. Give each check 0.1 s so they overlap on every run.
    real_matching_step = mfa.matching_step

    def matching_step_under_load(*args, **kwargs):
        time.sleep(0.1)
        return real_matching_step(*args, **kwargs)

    monkeypatch.setattr(mfa, "matching_step", matching_step_under_load)
    browsers = [Browser(app.test_client()) for _ in range(30)]
    for b in browsers:
        b.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    wrong = "123456" if dsl.code() != "123456" else "654321"
    responses = post_all_at_once(browsers, "/sign-in/security-code", {"code": wrong})
    assert sorted(r.status_code for r in responses) == [200] * 10 + [429] * 20
    assert all("Enter a correct security code" in html(r) for r in responses if r.status_code == 200)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in.failed").count() == 10
    # Locked: the right code is refused too.
    response = browsers[0].submit("/sign-in/security-code", {"code": dsl.code()})
    assert response.status_code == 429


def test_unknown_accounts_are_throttled_the_same_way(app):
    browser = Browser(app.test_client())
    _fail_password(browser, "nobody@nowhere.example", 10)
    response = browser.submit("/sign-in", {"email": "nobody@nowhere.example", "password": "wrong password guess"})
    assert response.status_code == 429


def test_security_code_guesses_are_throttled(world, app):
    school = world.school()
    dsl = world.user(school, ["dsl"])
    browser = Browser(app.test_client())
    browser.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    wrong = "123456" if dsl.code() != "123456" else "654321"
    for _ in range(10):
        assert browser.submit("/sign-in/security-code", {"code": wrong}).status_code == 200
    response = browser.submit("/sign-in/security-code", {"code": dsl.code()})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_per_ip_ceiling(database_url, smtp_server, tmp_path):
    controller, _ = smtp_server
    small = make_app(database_url, controller.port, tmp_path, SIGN_IN_IP_LIMIT="3 per 5 minutes")
    browser = Browser(small.test_client())
    for n in range(3):
        response = browser.submit("/sign-in", {"email": f"person{n}@example.com", "password": "wrong password guess"})
        assert response.status_code == 200
    response = browser.submit("/sign-in", {"email": "person9@example.com", "password": "wrong password guess"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in html(response)


def test_default_ip_ceiling_lets_a_whole_school_sign_in(app):
    assert app.config["SIGN_IN_IP_LIMIT"] == "500 per 5 minutes"
    assert app.config["SIGN_IN_ACCOUNT_LIMIT"] == "10 per 5 minutes"


def test_counts_are_shared_through_redis(database_url, smtp_server, tmp_path, world):
    """Two app processes (gunicorn workers) with REDIS_URL see the same counters."""
    import redis

    controller, _ = smtp_server
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379: start it (make test expects it, as CI does)")
    worker_a = make_app(database_url, controller.port, tmp_path, RATELIMIT_STORAGE_URI=url)
    worker_b = make_app(database_url, controller.port, tmp_path, RATELIMIT_STORAGE_URI=url)
    school = world.school()
    lead = world.user(school, ["ap_lead"])
    try:
        _fail_password(Browser(worker_a.test_client()), lead.email, 10)
        response = Browser(worker_b.test_client()).submit("/sign-in", {"email": lead.email, "password": lead.password})
        assert response.status_code == 429
    finally:
        redis.Redis.from_url(url).flushdb()


def test_sign_in_fails_closed_when_the_store_is_down(database_url, smtp_server, tmp_path, world):
    controller, _ = smtp_server
    broken = make_app(database_url, controller.port, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    school = world.school()
    lead = world.user(school, ["ap_lead"])
    browser = Browser(broken.test_client())
    response = browser.submit("/sign-in", {"email": lead.email, "password": lead.password})
    assert response.status_code == 503
    assert "Signing in is unavailable right now" in html(response)
    assert browser.get("/school/").status_code == 302  # not signed in
