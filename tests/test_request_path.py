"""Issue 16, the signed-in request path: what was taken out of every request still behaves the same for the person.

- The sign-out form's CSRF token is signed once per session and kept (shared.security.csrf_token), not signed again
  on every page: each page of a session without a form of its own carries the same token, and it is accepted.
- Session protection is off (the server-side session record does that job), so Flask-Login no longer hashes the
  client's address and user agent on every request (shared.extensions._LoginManager).
- The headteacher's counts ride in the principal's statement on the school home (shared.auth.sessions
  PrincipalRider): one statement for the whole request, the same counts, and never another organisation's.
"""

from shared.extensions import login_manager
from tests.support.client import csrf_from, html


def test_every_page_of_a_session_carries_one_csrf_token_and_it_is_accepted(app, world, browser):
    from freezegun import freeze_time

    school = world.school("Hillside Academy")
    with freeze_time("2026-12-02 10:00:00") as clock:
        browser.sign_in(world.user(school, ["headteacher"]))
        first = csrf_from(html(browser.get("/school/")))
        clock.tick(2)  # a token signed again on the next page would carry another second
        assert csrf_from(html(browser.get("/school/pupils"))) == first
        # A page with a form of its own (the account's) has it signed by Flask-WTF as the page is made: another
        # token, as good as the first.
        assert csrf_from(html(browser.get("/account")))
        signed_out = browser.client.post("/sign-out", data={"csrf_token": first})
        assert signed_out.status_code == 302
        assert browser.get("/school/").status_code == 302  # signed out: sent to sign in


def test_a_forged_csrf_token_is_still_refused(app, world, browser):
    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))
    token = csrf_from(html(browser.get("/school/")))
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert browser.client.post("/sign-out", data={"csrf_token": forged}).status_code == 400
    assert browser.get("/school/").status_code == 200  # the forged sign-out was refused: still signed in


def test_no_client_fingerprint_is_worked_out_on_a_signed_in_page(app, world, browser, monkeypatch):
    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))
    calls = []
    monkeypatch.setattr(login_manager, "_session_identifier_generator", lambda: calls.append(1) or "x")
    assert browser.get("/school/").status_code == 200
    assert calls == []


def test_the_hot_reads_give_exactly_the_rows_sqlalchemy_gives(app, world, browser):
    """shared/hot_reads.py: on PostgreSQL the principal and the headteacher's counts are read on psycopg's cursor
    after their first run; every value, and its type, is what SQLAlchemy Core gives (on SQLite both are Core)."""
    from sqlalchemy import select

    from shared.auth.sessions import _PRINCIPAL_QUERY, _principal_query_for, autocommit_connection
    from shared.extensions import db
    from shared.models import UserSession
    from shared.services.attention.school import _HEADTEACHER_QUERY

    school = world.school("Hillside Academy")
    person = world.user(school, ["headteacher", "dsl"])  # two roles: two rows
    browser.sign_in(person)
    assert browser.get("/school/").status_code == 200  # the reads have run once (through Core) in this process
    with app.test_request_context("/"):
        token_hash = db.session.scalar(select(UserSession.token_hash).where(UserSession.ended_at.is_(None)))
        conn = autocommit_connection()
        for read, params in (
            (_PRINCIPAL_QUERY, {"token_hash": token_hash}),
            (_HEADTEACHER_QUERY, {"school_id": school}),
            (_principal_query_for("school_admin.home")[0], {"token_hash": token_hash}),
        ):
            read.rows(conn, params)  # a first run, if none yet: through Core
            hot = sorted((tuple(row) for row in read.rows(conn, params)), key=repr)
            core = sorted((tuple(row) for row in conn.execute(read.statement, params).all()), key=repr)
            assert hot == core
            assert [[type(value) for value in row] for row in hot] == [[type(value) for value in row] for row in core]
        assert len(hot) == 2 and len(core) == 2  # the principal with the counts: a row per role
        principal = _PRINCIPAL_QUERY.rows(conn, {"token_hash": token_hash})
        assert {row.role for row in principal} == {"headteacher", "dsl"}
        assert principal[0].organisation_name == "Hillside Academy"


def test_the_kept_session_serializer_follows_a_change_of_secret_key(app, world, browser):
    """shared/flask_app.py keeps the session's serializer per secret key: a cookie signed with the old key is not
    accepted once the key changes (as with Flask's own), and is again when it changes back."""
    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))
    assert browser.get("/school/").status_code == 200
    old = app.secret_key
    try:
        app.secret_key = old + "-rotated"
        assert browser.get("/school/").status_code == 302  # the cookie no longer verifies: sent to sign in
    finally:
        app.secret_key = old
    assert browser.get("/school/").status_code == 200


def test_the_headteachers_home_is_one_statement_with_the_counts_in_the_principals(app, world, browser, statements):
    from datetime import UTC, datetime

    from shared.extensions import db
    from shared.models import Placement

    def waiting(placement_id):  # planned, for the headteacher to decide (world.placement makes agreed ones)
        with app.app_context():
            db.session.get(Placement, placement_id).headteacher_decision = "pending"
            db.session.commit()

    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning")
    waiting(world.placement(school, provider, status="planned"))
    world.concern(world.placement(school, provider), escalated_at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC))
    other = world.school("Other Academy")  # its own waiting placements must not be counted at Hillside
    for _ in range(2):
        waiting(world.placement(other, world.provider(other, "Elsewhere Provision"), status="planned"))
    browser.sign_in(world.user(school, ["headteacher"]))
    assert browser.get("/school/").status_code == 200  # the budget's figures are kept a minute after this
    statements.clear()
    page = html(browser.get("/school/"))
    assert len(statements) == 1 and "user_sessions" in statements[0] and "concerns" in statements[0]
    assert "1 placement is waiting for your decision" in page
    assert "1 safeguarding concern has been escalated to you" in page


def test_counts_read_with_the_principal_are_given_only_for_its_own_organisation(app, world, browser):
    """The rider's values are read before anyone is known to be allowed them: `ridden` hands them over only for the
    organisation the principal belongs to, and only within the request that read them."""
    import uuid

    from flask import g

    from shared.auth.sessions import ridden
    from shared.services.attention.school import HEADTEACHER_COUNTS

    mine, theirs = uuid.uuid4(), uuid.uuid4()
    with app.test_request_context("/school/"):
        g._ridden = {HEADTEACHER_COUNTS.name: (mine, "counts")}
        assert ridden(HEADTEACHER_COUNTS, mine) == "counts"
        assert ridden(HEADTEACHER_COUNTS, theirs) is None
    with app.test_request_context("/school/"):
        assert ridden(HEADTEACHER_COUNTS, mine) is None  # a new request reads its own


def test_the_menu_marks_the_page_shown_and_only_it(app, world, browser):
    """shared.navigation.menu_items: the menu is made once per side, roles and page, and still marks the page shown
    (aria-current) and nothing else, "Your account" included, with only the links the person's roles may open."""
    import re

    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))

    def menu(path):
        page = html(browser.get(path))
        nav = page[page.index('<ul class="govuk-service-navigation__list"') : page.index("</nav>")]
        current = re.findall(r'href="([^"]+)" aria-current="true"', nav)
        return re.findall(r'<a class="govuk-service-navigation__link" href="([^"]+)"', nav), current

    links, current = menu("/school/")
    assert current == ["/school/"] and "/account" in links and "/school/verification" not in links  # not a verifier
    links_again, current = menu("/account")
    assert current == ["/account"] and links_again == links
    _, current = menu("/school/pupils")
    assert current == ["/school/pupils"]
    browser.client.post("/sign-out", data={"csrf_token": csrf_from(html(browser.get("/school/")))})
    browser.sign_in(world.user(school, ["dsl"]))
    links, current = menu("/school/")
    assert current == ["/school/"] and "/school/verification" in links  # a DSL verifies some evidence


def _cookie_session(app, value: str):
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
        from flask import request

        return dict(app.session_interface.open_session(app, request))


def test_a_kept_session_cookie_runs_out_with_the_sessions_lifetime_and_is_never_shared_between_requests(app):
    """shared/flask_app.py keeps what each session cookie unpacked to. The same cookie still runs out when the
    session's lifetime has passed since it was signed (as Flask's own check), a cookie signed "in the future" is
    refused, a cookie changed by one character is refused, and what one request does to its session (a message
    flashed) is not in the next request's."""
    from freezegun import freeze_time

    serializer = app.session_interface.get_signing_serializer(app)
    lifetime = app.permanent_session_lifetime
    with freeze_time("2026-12-07 09:00:00") as clock:
        value = serializer.dumps({"_user_id": "token", "_flashes": [("message", "Saved")]})
        assert _cookie_session(app, value) == {"_user_id": "token", "_flashes": [("message", "Saved")]}
        with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
            from flask import request

            changed = app.session_interface.open_session(app, request)
            changed["_flashes"].append(("message", "Another"))
            changed["_user_id"] = "someone else"
        assert _cookie_session(app, value) == {"_user_id": "token", "_flashes": [("message", "Saved")]}
        tampered = value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:]
        assert _cookie_session(app, tampered) == {}
        clock.tick(lifetime)
        assert _cookie_session(app, value)["_user_id"] == "token"  # exactly its lifetime old: still good
        clock.tick(1)
        assert _cookie_session(app, value) == {}  # older than its lifetime: refused, though it was kept
        future = serializer.dumps({"_user_id": "token"})
        assert _cookie_session(app, future)["_user_id"] == "token"
    with freeze_time("2026-12-07 08:00:00"):
        assert _cookie_session(app, future) == {}  # signed after "now": refused, as itsdangerous does
