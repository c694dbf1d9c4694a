"""Password reset (never bypassing MFA) and the account page: change password, reset MFA, end other sessions."""

import re
import threading
from datetime import timedelta

import pyotp
from freezegun import freeze_time

from shared.extensions import db
from shared.models import PasswordReset, User, UserSession, utcnow
from shared.notifications import deliver_outbox
from tests.support.client import Browser, html

NEW_PASSWORD = "velvet compass orchard rain"
OTHER_PASSWORD = "harbour lantern meadow frost"


def ask_for_reset(app, email):
    """Ask for a reset link as a stranger would, then let the worker send what was queued."""
    response = Browser(app.test_client()).submit("/password-reset", {"email": email})
    with app.app_context():
        deliver_outbox()
    return response


def can_sign_in_with(app, person, password):
    response = Browser(app.test_client()).submit("/sign-in", {"email": person.email, "password": password})
    return response.status_code == 302


def test_reset_request_says_the_same_for_unknown_and_known_addresses(world, app, mailbox):
    school = world.school()
    person = world.user(school, ["dsl"])
    known = Browser(app.test_client()).submit("/password-reset", {"email": person.email})
    unknown = Browser(app.test_client()).submit("/password-reset", {"email": "stranger@nowhere.example"})
    assert known.status_code == unknown.status_code == 200
    assert "If there is an account with that address" in html(known)

    def main(response):
        return html(response).split("<main")[1].split("</main>")[0]

    assert main(known) == main(unknown)
    # Nothing is sent while the person waits: the e-mail goes through the outbox, as every other e-mail does.
    assert mailbox.messages == []
    with app.app_context():
        deliver_outbox()
    assert len(mailbox.to(person.email)) == 1 and len(mailbox.messages) == 1


def test_other_reset_links_stop_working_once_one_is_used(world, app, mailbox):
    school = world.school()
    person = world.user(school, ["dsl"])
    ask_for_reset(app, person.email)
    first = mailbox.link_in_last(person.email)
    ask_for_reset(app, person.email)
    second = mailbox.link_in_last(person.email)
    assert first != second
    older = Browser(app.test_client())
    assert older.get(first).status_code == 200
    csrf = older.token()

    done = Browser(app.test_client()).submit(second, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/sign-in")

    page = Browser(app.test_client()).get(first)
    assert page.status_code == 410 and "already been used" in html(page)
    # Nor does sending the form (opened before the other link was used) change the password.
    older.client.post(first, data={"password": OTHER_PASSWORD, "csrf_token": csrf})
    assert not can_sign_in_with(app, person, OTHER_PASSWORD)
    assert can_sign_in_with(app, person, NEW_PASSWORD)


def test_two_reset_links_used_at_the_same_moment_set_one_password(world, app, mailbox):
    school = world.school()
    person = world.user(school, ["dsl"])
    links = []
    for _ in range(2):
        ask_for_reset(app, person.email)
        links.append(mailbox.link_in_last(person.email))
    passwords = [NEW_PASSWORD, OTHER_PASSWORD]
    tabs = [Browser(app.test_client()) for _ in links]
    tokens = []
    for tab, link in zip(tabs, links, strict=True):
        assert tab.get(link).status_code == 200
        tokens.append(tab.token())
    barrier = threading.Barrier(2)
    responses = [None, None]

    def submit(index: int) -> None:
        barrier.wait(timeout=30)
        responses[index] = tabs[index].client.post(
            links[index], data={"password": passwords[index], "csrf_token": tokens[index]}
        )

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    done = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(done) == 1, [r.status_code for r in responses]  # one link sets the password, the other is void
    (refused,) = [r for r in responses if r.status_code != 302]
    assert refused.status_code == 410 and "already been used" in html(refused)
    assert can_sign_in_with(app, person, passwords[done[0]])
    assert not can_sign_in_with(app, person, passwords[1 - done[0]])


def test_reset_links_stop_working_after_a_change_of_password(world, app, mailbox):
    school = world.school()
    provider = world.provider(school)
    person = world.user(provider, ["provider_manager"])
    ask_for_reset(app, person.email)
    link = mailbox.link_in_last(person.email)
    opened = Browser(app.test_client())
    assert opened.get(link).status_code == 200
    csrf = opened.token()

    here = Browser(app.test_client())
    here.sign_in(person)
    changed = here.submit(
        "/account", {"current_password": person.password, "password": NEW_PASSWORD}, post_url="/account/password"
    )
    assert changed.status_code == 302

    page = Browser(app.test_client()).get(link)
    assert page.status_code == 410 and "already been used" in html(page)
    opened.client.post(link, data={"password": OTHER_PASSWORD, "csrf_token": csrf})
    assert not can_sign_in_with(app, person, OTHER_PASSWORD)
    assert can_sign_in_with(app, person, NEW_PASSWORD)


def test_reset_emails_are_limited_per_address_per_hour_without_saying_so(world, app, mailbox):
    school = world.school()
    person = world.user(school, ["dsl"])
    assert app.config["PASSWORD_RESET_EMAILS_PER_HOUR"] == 3
    start = utcnow()
    with freeze_time(start) as clock:
        answers = [html(ask_for_reset(app, person.email)) for _ in range(4)]
        assert len(mailbox.to(person.email)) == 3
        # The fourth answer is the same as the others: it does not tell that the address is known or limited.
        assert len({a.split("<main")[1].split("</main>")[0] for a in answers}) == 1
        clock.tick(timedelta(minutes=59))
        ask_for_reset(app, person.email)
        assert len(mailbox.to(person.email)) == 3
        clock.tick(timedelta(minutes=2))
        ask_for_reset(app, person.email)
        assert len(mailbox.to(person.email)) == 4
        # The link that was sent works.
        done = Browser(app.test_client()).submit(mailbox.link_in_last(person.email), {"password": NEW_PASSWORD})
        assert done.status_code == 302


def test_reset_sets_a_new_password_ends_sessions_and_still_asks_for_the_code(world, app, mailbox):
    school = world.school()
    person = world.user(school, ["dsl"])
    signed_in = Browser(app.test_client())
    signed_in.sign_in(person)
    ask_for_reset(app, person.email)
    link = mailbox.link_in_last(person.email)
    body = mailbox.body(mailbox.to(person.email)[-1])
    assert "still need your security code" in body

    resetter = Browser(app.test_client())
    weak = resetter.submit(link, {"password": "short"})
    assert "12 characters or more" in html(weak)
    done = resetter.submit(link, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/sign-in")
    # The session that was open before the reset has ended.
    assert signed_in.get("/school/").status_code == 302
    # Signing in with the new password still needs the security code.
    response = resetter.submit("/sign-in", {"email": person.email, "password": NEW_PASSWORD})
    assert response.location.endswith("/sign-in/security-code")
    assert resetter.get("/school/").status_code == 302
    # The link works once.
    used = Browser(app.test_client()).get(link)
    assert used.status_code == 410 and "already been used" in html(used)
    with app.app_context():
        assert db.session.query(PasswordReset).one().used_at is not None


def test_change_password_ends_other_sessions_and_keeps_this_one(world, app):
    school = world.school()
    provider = world.provider(school)
    person = world.user(provider, ["provider_manager"])
    here = Browser(app.test_client())
    here.sign_in(person)
    elsewhere = Browser(app.test_client())
    elsewhere.sign_in(person)
    old_cookie = here.client.get_cookie("ap_portal_session").value
    wrong = here.submit(
        "/account", {"current_password": "not my password", "password": NEW_PASSWORD}, post_url="/account/password"
    )
    assert "Your current password is not correct" in html(wrong)
    response = here.submit(
        "/account", {"current_password": person.password, "password": NEW_PASSWORD}, post_url="/account/password"
    )
    assert response.status_code == 302
    assert "Your password has been changed" in html(here.get("/account"))
    assert elsewhere.get("/portal/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("ap_portal_session", old_cookie)
    assert replay.get("/portal/").status_code == 302


def test_end_other_sessions(world, app):
    school = world.school()
    person = world.user(school, ["ap_lead"])
    here = Browser(app.test_client())
    here.sign_in(person)
    there = Browser(app.test_client())
    there.sign_in(person, code_offset=1)
    assert "signed in in 2 places" in html(here.get("/account"))
    here.post("/account/sessions/end-others")
    assert "Signed out of 1 other session" in html(here.get("/account"))
    assert there.get("/school/").status_code == 302
    assert here.get("/school/").status_code == 200


def test_reset_mfa_from_the_account_page(world, app):
    school = world.school()
    person = world.user(school, ["headteacher"])
    browser = Browser(app.test_client())
    browser.sign_in(person)
    wrong = browser.post("/account/two-step/reset", {"confirm_password": "not my password"})
    assert wrong.status_code == 200 and "Your password is not correct" in html(wrong)
    response = browser.post("/account/two-step/reset", {"confirm_password": person.password})
    assert response.location.endswith("/two-step/set-up")
    page = html(browser.get("/two-step/set-up"))
    key = re.search(r'id="manual-key">([A-Z0-9 ]+)<', page).group(1).replace(" ", "")
    assert key != person.totp_secret
    done = browser.submit("/two-step/set-up", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200 and len(re.findall(r"<li>[0-9a-f]{6}-[0-9a-f]{6}</li>", html(done))) == 10
    with app.app_context():
        assert db.session.get(User, person.id).totp_secret == key


def test_provider_user_given_the_dsl_role_must_set_up_mfa_before_going_on(world, app):
    school = world.school()
    provider = world.provider(school)
    staff = world.user(provider, ["provider_staff"])
    browser = Browser(app.test_client())
    browser.sign_in(staff)
    assert browser.get("/portal/").status_code == 200
    manager = world.user(provider, ["provider_manager"])
    with app.app_context():
        from shared.services.accounts.people import set_roles

        set_roles(db.session.get(User, staff.id), ["provider_dsl"], by=db.session.get(User, manager.id))
    response = browser.get("/portal/")
    assert response.status_code == 302 and response.location.endswith("/two-step/set-up")
    with app.app_context():
        assert db.session.query(UserSession).count() == 1
