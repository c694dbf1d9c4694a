"""Sign-in with password and security code, MFA set-up, sign-out and the server-side session."""

import re

from freezegun import freeze_time

from shared import mfa
from shared.extensions import db
from shared.models import AuditEvent, User, UserSession
from shared.roles import AP_LEAD, DSL, PROVIDER_DSL, PROVIDER_MANAGER, PROVIDER_STAFF
from tests.support.client import Browser, html, post_all_at_once


def test_school_user_signs_in_with_password_and_code(world, browser, app):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    response = browser.submit("/sign-in", {"email": lead.email.upper(), "password": lead.password})
    assert response.status_code == 302 and response.location.endswith("/sign-in/security-code")
    # Not signed in yet: the school side still sends us to sign in.
    assert browser.get("/school/").status_code == 302
    response = browser.submit("/sign-in/security-code", {"code": lead.code()})
    assert response.status_code == 302 and response.location.endswith("/school/")
    page = browser.get("/school/")
    assert page.status_code == 200
    assert "Needs your attention" in html(page)
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEvent).all()]
    assert "sign_in.succeeded" in actions


def test_provider_staff_without_mfa_signs_in_with_password_only(world, browser):
    school = world.school()
    provider = world.provider(school)
    staff = world.user(provider, [PROVIDER_STAFF])
    response = browser.submit("/sign-in", {"email": staff.email, "password": staff.password})
    assert response.status_code == 302 and response.location.endswith("/portal/")
    page = browser.get("/portal/")
    assert page.status_code == 200 and "Onboarding" in html(page)


def test_wrong_password_and_unknown_email_get_the_same_answer(world, browser):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    wrong = browser.submit("/sign-in", {"email": lead.email, "password": "not the password at all"})
    unknown = browser.submit("/sign-in", {"email": "nobody@nowhere.example", "password": "not the password at all"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Enter a correct email address and password" in html(wrong)

    def without_tokens(response):
        return re.sub(r'value="[^"]*"|nonce="[^"]*"', "", html(response))

    assert without_tokens(wrong) == without_tokens(unknown)


def test_deactivated_user_gets_the_same_answer_as_a_wrong_password(world, browser, app):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    with app.app_context():
        db.session.get(User, lead.id).active = False
        db.session.commit()
    response = browser.submit("/sign-in", {"email": lead.email, "password": lead.password})
    assert response.status_code == 200
    assert "Enter a correct email address and password" in html(response)


@freeze_time("2026-12-01 10:00:10")  # both sign-ins in the same 30-second step, whatever the wall clock does
def test_security_code_cannot_be_replayed(world, new_browser):
    school = world.school()
    dsl = world.user(school, [DSL])
    first = new_browser()
    first.sign_in(dsl)
    second = new_browser()
    second.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    response = second.submit("/sign-in/security-code", {"code": dsl.code()})
    assert response.status_code == 200
    assert "Enter a correct security code" in html(response)
    # The next step's code (within the accepted window) still works.
    response = second.submit("/sign-in/security-code", {"code": dsl.code(1)})
    assert response.status_code == 302


@freeze_time("2026-12-01 10:00:10")  # every request in the same 30-second step
def test_a_security_code_signs_in_once_when_sent_from_six_sessions_at_once(world, app):
    school = world.school()
    dsl = world.user(school, [DSL])
    browsers = [Browser(app.test_client()) for _ in range(6)]
    for b in browsers:
        response = b.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
        assert response.location.endswith("/sign-in/security-code")
    responses = post_all_at_once(browsers, "/sign-in/security-code", {"code": dsl.code()})
    assert sorted(r.status_code for r in responses) == [200] * 5 + [302]
    assert all("Enter a correct security code" in html(r) for r in responses if r.status_code == 200)
    assert [b.get("/school/").status_code for b in browsers].count(200) == 1


def test_a_recovery_code_signs_in_once_when_sent_from_six_sessions_at_once(world, app):
    school = world.school()
    dsl = world.user(school, [DSL])
    with app.app_context():
        codes = mfa.new_recovery_codes(db.session.get(User, dsl.id))
        db.session.commit()
    browsers = [Browser(app.test_client()) for _ in range(6)]
    for b in browsers:
        b.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    responses = post_all_at_once(browsers, "/sign-in/security-code", {"code": codes[0]})
    assert sorted(r.status_code for r in responses) == [200] * 5 + [302]
    assert all("Enter a correct security code" in html(r) for r in responses if r.status_code == 200)
    pages = [b.get("/school/") for b in browsers]
    assert [p.status_code for p in pages].count(200) == 1
    assert sum("You have 9 left" in html(p) for p in pages) == 1


def test_code_from_two_steps_away_is_refused(world, browser):
    school = world.school()
    dsl = world.user(school, [DSL])
    browser.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    response = browser.submit("/sign-in/security-code", {"code": dsl.code(-3)})
    assert "Enter a correct security code" in html(response)


def test_recovery_code_works_once(world, browser, new_browser, app):
    school = world.school()
    provider = world.provider(school)
    pdsl = world.user(provider, [PROVIDER_DSL], mfa=False)
    # Sign in: the provider DSL has no MFA yet, so set-up is required before anything else.
    response = browser.submit("/sign-in", {"email": pdsl.email, "password": pdsl.password})
    assert response.location.endswith("/two-step/set-up")
    page = html(browser.get("/two-step/set-up"))
    key = re.search(r'id="manual-key">([A-Z0-9 ]+)<', page).group(1).replace(" ", "")
    import pyotp

    wrong = browser.submit("/two-step/set-up", {"code": "000000" if pyotp.TOTP(key).now() != "000000" else "111111"})
    assert "Enter the 6-digit code your authenticator app shows now" in html(wrong)
    done = browser.submit("/two-step/set-up", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", html(done))
    assert len(codes) == 10
    assert browser.get("/portal/").status_code == 200

    other = new_browser()
    other.submit("/sign-in", {"email": pdsl.email, "password": pdsl.password})
    response = other.submit("/sign-in/security-code", {"code": codes[0]})
    assert response.status_code == 302
    assert "You have 9 left" in html(other.get("/portal/"))

    third = new_browser()
    third.submit("/sign-in", {"email": pdsl.email, "password": pdsl.password})
    response = third.submit("/sign-in/security-code", {"code": codes[0]})
    assert "Enter a correct security code" in html(response)


@freeze_time("2026-12-01 10:00:10")  # every request in the same 30-second step
def test_setting_up_two_step_sign_in_from_six_sessions_at_once_confirms_it_once(world, app):
    school = world.school()
    pdsl = world.user(world.provider(school), [PROVIDER_DSL], mfa=False)
    browsers = [Browser(app.test_client()) for _ in range(6)]
    for b in browsers:
        response = b.submit("/sign-in", {"email": pdsl.email, "password": pdsl.password})
        assert response.location.endswith("/two-step/set-up")
    page = html(browsers[0].get("/two-step/set-up"))
    key = re.search(r'id="manual-key">([A-Z0-9 ]+)<', page).group(1).replace(" ", "")
    import pyotp

    responses = post_all_at_once(browsers, "/two-step/set-up", {"code": pyotp.TOTP(key).now()})
    shown_codes = [r for r in responses if re.search(r"<li>[0-9a-f]{6}-[0-9a-f]{6}</li>", html(r))]
    assert len(shown_codes) == 1
    # The others are asked for a code from the authenticator just set up, as at any later sign-in.
    others = [b for b, r in zip(browsers, responses, strict=True) if r not in shown_codes]
    assert all(r.location.endswith("/sign-in/security-code") for r in responses if r not in shown_codes)
    assert all("Two-step sign-in is already set up" in html(b.get("/sign-in/security-code")) for b in others)
    assert [b.get("/portal/").status_code for b in browsers].count(200) == 1


def test_sign_out_ends_the_session_on_the_server(world, browser, app):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    browser.sign_in(lead)
    assert browser.get("/school/").status_code == 200
    cookie = browser.client.get_cookie("ap_portal_session").value
    response = browser.post("/sign-out")
    assert response.status_code == 302
    # Replaying the cookie from before sign-out gets nowhere.
    replay = app.test_client()
    replay.set_cookie("ap_portal_session", cookie)
    response = replay.get("/school/")
    assert response.status_code == 302 and "/sign-in" in response.location
    with app.app_context():
        record = db.session.query(UserSession).one()
        assert record.ended_at is not None and record.end_reason == "signed_out"


def test_session_id_rotates_at_sign_in(world, browser):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    browser.get("/sign-in")
    before = browser.client.get_cookie("ap_portal_session").value
    browser.sign_in(lead)
    after = browser.client.get_cookie("ap_portal_session").value
    assert before != after
    # The CSRF token of the anonymous session is not the signed-in one.
    assert browser.client.post("/sign-out", data={"csrf_token": "x"}).status_code == 400


def test_idle_school_session_times_out(world, browser, app):
    from datetime import timedelta

    school = world.school()
    lead = world.user(school, [AP_LEAD])
    browser.sign_in(lead)
    with app.app_context():
        record = db.session.query(UserSession).one()
        record.last_seen_at = record.last_seen_at - timedelta(minutes=31)
        db.session.commit()
    response = browser.get("/school/")
    assert response.status_code == 302 and "/sign-in" in response.location
    page = browser.get(response.location)
    assert "had not done anything for a while" in html(page)


def test_absolute_timeout_after_twelve_hours(world, browser, app):
    from datetime import timedelta

    school = world.school()
    provider = world.provider(school)
    manager = world.user(provider, [PROVIDER_MANAGER])
    browser.sign_in(manager)
    with app.app_context():
        record = db.session.query(UserSession).one()
        record.created_at = record.created_at - timedelta(hours=12, minutes=1)
        db.session.commit()
    assert browser.get("/portal/").status_code == 302


def test_deactivation_ends_the_session(world, browser, app):
    school = world.school()
    provider = world.provider(school)
    staff = world.user(provider, [PROVIDER_STAFF])
    browser.sign_in(staff)
    assert browser.get("/portal/").status_code == 200
    manager = world.user(provider, [PROVIDER_MANAGER])
    from tests.support.client import Browser

    admin = Browser(app.test_client())
    admin.sign_in(manager)
    assert admin.post(f"/portal/users/{staff.id}/deactivate").status_code == 302
    assert browser.get("/portal/").status_code == 302


def test_post_after_session_ended_gets_a_friendly_page(world, browser, app):
    school = world.school()
    lead = world.user(school, [AP_LEAD])
    browser.sign_in(lead)
    token = browser.token()
    with app.app_context():
        db.session.query(UserSession).update({"ended_at": UserSession.created_at})
        db.session.commit()
    response = browser.client.post("/school/providers/invite", data={"csrf_token": token, "provider_name": "X"})
    assert response.status_code in (400, 401)
    assert "nothing was saved" in html(response)
    assert "Traceback" not in html(response)


def test_a_password_alone_cannot_set_up_a_new_authenticator(world, browser, app):
    """Someone with only the password must not replace the existing authenticator during sign-in."""
    school = world.school()
    dsl = world.user(school, [DSL])
    browser.submit("/sign-in", {"email": dsl.email, "password": dsl.password})
    response = browser.get("/two-step/set-up")
    assert response.status_code == 302 and response.location.endswith("/sign-in/security-code")
    token = browser.token()
    posted = browser.client.post("/two-step/set-up", data={"csrf_token": token, "code": "123456"})
    assert posted.status_code == 302 and posted.location.endswith("/sign-in/security-code")
    assert browser.get("/school/").status_code == 302
    with app.app_context():
        user = db.session.get(User, dsl.id)
        assert user.totp_secret == dsl.totp_secret and user.pending_totp_secret is None


def test_an_old_password_hash_is_upgraded_at_sign_in(world, browser, app, monkeypatch):
    """A hash made with cheaper parameters than the current ones is replaced at sign-in by one made with the current
    ones: here production's (the suite's app hashes with the cheapest parameters argon2 allows)."""
    from argon2 import PasswordHasher, extract_parameters, profiles

    from shared.config import Config

    production = Config()
    for name in ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST", "PASSWORD_HASH_PARALLELISM"):
        monkeypatch.setitem(app.config, name, getattr(production, name))
    school = world.school()
    provider = world.provider(school)
    staff = world.user(provider, [PROVIDER_STAFF])
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(staff.password)
    with app.app_context():
        db.session.get(User, staff.id).password_hash = weak
        db.session.commit()
    assert browser.sign_in(staff).status_code == 302
    with app.app_context():
        upgraded = db.session.get(User, staff.id).password_hash
    assert upgraded != weak and extract_parameters(upgraded) == profiles.RFC_9106_LOW_MEMORY


@freeze_time("2026-12-01 10:00:10")
def test_a_tab_that_sends_its_set_up_code_after_another_finished_is_told_why_it_is_asked_for_a_code(world, app):
    import pyotp

    school = world.school()
    pdsl = world.user(world.provider(school), [PROVIDER_DSL], mfa=False)
    first, late = Browser(app.test_client()), Browser(app.test_client())
    for b in (first, late):
        b.submit("/sign-in", {"email": pdsl.email, "password": pdsl.password})
    key = re.search(r'id="manual-key">([A-Z0-9 ]+)<', html(first.get("/two-step/set-up"))).group(1).replace(" ", "")
    late.get("/two-step/set-up")  # the late tab's form, opened before the first tab finished
    csrf = late.token()
    assert re.search(
        r"<li>[0-9a-f]{6}-[0-9a-f]{6}</li>", html(first.submit("/two-step/set-up", {"code": pyotp.TOTP(key).now()}))
    )

    response = late.client.post("/two-step/set-up", data={"code": pyotp.TOTP(key).now(), "csrf_token": csrf})

    assert response.location.endswith("/sign-in/security-code")
    assert "Two-step sign-in is already set up" in html(late.get("/sign-in/security-code"))
