"""CSRF on every POST, security headers, error pages, health check."""

from flask import url_for

from shared.auth.access import API_TOKEN
from tests.support.client import Browser, html


def _post_urls(app, values):
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            # The JSON API takes no cookies, only a provider's API token, so it has no CSRF to check (a POST with
            # a session cookie and no token is refused: tests/test_api.py).
            if "POST" in rule.methods and app.extensions["access"][rule.endpoint].audience != API_TOKEN:
                # Any id the table does not name is a random one: a CSRF refusal comes before any lookup.
                args = {k: values.get(k, values["user_id"]) if k.endswith("_id") else values[k] for k in rule.arguments}
                yield rule.endpoint, url_for(rule.endpoint, **args)


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(world, app):
    from shared.extensions import db
    from shared.models import AuditEvent, Invitation

    school = world.school()
    admin = world.user(school, ["school_admin", "ap_lead"])
    browser = Browser(app.test_client())
    browser.sign_in(admin)
    with app.app_context():
        events_before = db.session.query(AuditEvent).count()
    values = {
        "user_id": admin.id,
        "token": "x",
        "site_id": admin.id,
        "member_id": admin.id,
        "provider_id": admin.id,
        "document_id": admin.id,
        "code": "behaviour_policy",
        "flag_key": "no_right_to_work",
        "pupil_id": admin.id,
        "placement_id": admin.id,
        "incident_id": admin.id,
        "token_id": admin.id,
        "review_id": admin.id,
        "visit_id": admin.id,
        "concern_id": admin.id,
        "notice_id": admin.id,
        "policy_id": admin.id,
        "file_id": admin.id,
        "agreement_document_id": admin.id,
        "breach_id": admin.id,
    }
    checked = []
    for endpoint, url in _post_urls(app, values):
        response = browser.client.post(
            url, data={"name": "Someone", "email": "someone@example.com", "roles": ["dsl"], "provider_name": "P"}
        )
        assert response.status_code == 400, f"{endpoint} accepted a POST without a CSRF token"
        assert "This form has expired" in html(response)
        checked.append(endpoint)
    assert len(checked) >= 14 and set(checked) <= set(app.extensions["access"])
    with app.app_context():
        assert db.session.query(Invitation).count() == 0
        assert db.session.query(AuditEvent).count() == events_before
    # Still signed in: the refused sign-out did not sign us out.
    assert browser.get("/school/").status_code == 200


def test_security_headers_on_pages(world, app):
    client = app.test_client()
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "'nonce-" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in html(response)
    assert client.get("/sign-in").headers["Content-Security-Policy"] != csp  # a fresh nonce per request
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # local and test: plain http
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    browser = Browser(app.test_client())
    browser.sign_in(world.user(world.school(), ["dsl"]))
    page = browser.get("/school/")
    assert page.headers["Cache-Control"] == "no-store"


def test_production_sends_hsts_and_secure_cookies(app):
    from shared.app import create_app

    prod = create_app(
        {
            **app.config,
            "APP_ENV": "production",
            "HSTS": True,
            "SESSION_COOKIE_SECURE": True,
            "MAIL_BACKEND": "smtp",
            "CLAMD_SOCKET": "/run/clamav/clamd.ctl",
            "SAFEGUARDING_KEYS": "k1:" + "A" * 43 + "=",
        }
    )
    response = prod.test_client().get("/sign-in")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]


def test_error_pages_take_the_look_of_their_side_and_hide_details(app):
    client = app.test_client()
    school_404 = client.get("/school/no-such-page")
    portal_404 = client.get("/portal/no-such-page")
    plain_404 = client.get("/no-such-page")
    assert school_404.status_code == portal_404.status_code == plain_404.status_code == 404
    assert "School admin" in html(school_404) and "Page not found" in html(school_404)
    assert "Provider portal" in html(portal_404)
    assert "School admin" not in html(plain_404) and "Provider portal" not in html(plain_404)


def test_unexpected_error_gives_a_plain_500_without_a_stack_trace(app):
    from shared.app import create_app

    broken = create_app(dict(app.config))

    @broken.get("/school/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = broken.test_client().get("/school/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html(response)
    assert "secret internals" not in html(response) and "Traceback" not in html(response)


def test_too_large_request_gets_a_friendly_413(app):
    response = app.test_client().post("/sign-in", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413
    assert "20 MB or smaller" in html(response)


def test_health_check_reports_the_database(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_check_says_when_the_database_is_down(app, tmp_path):
    from shared.app import create_app

    down = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_logs_carry_a_request_id_and_no_personal_data(world, app):
    import io
    import logging

    from shared.logging_setup import JSONFormatter

    person = world.user(world.school(), ["dsl"])
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        browser = Browser(app.test_client())
        browser.sign_in(person)
        browser.get("/school/")
        Browser(app.test_client()).submit(
            "/sign-in", {"email": "someone.else@example.com", "password": "a wrong password here"}
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(logging.WARNING)
    logged = buffer.getvalue()
    assert '"request_id"' in logged and '"endpoint": "school_admin.home"' in logged
    assert person.email not in logged and person.password not in logged
    assert "someone.else" not in logged and "a wrong password" not in logged
