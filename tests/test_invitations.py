"""Invitations: school staff by the school admin, a provider by the AP lead, provider staff by its manager.
Links are single use, expire after 72 hours, and tampered ones are refused; the e-mailed link opens a page
whose button POSTs (mail scanners that pre-fetch links do not use it up)."""

import re

import pyotp
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AuditEvent, Invitation, Organisation, ProviderProfile, ProviderStatus, User
from tests.support.client import Browser, html

NEW_PASSWORD = "plum tractor seaside lantern"


def _invite_staff(browser, email="new.teacher@school.example", roles=("dsl",)):
    return browser.submit("/school/staff/invite", {"name": "New Teacher", "email": email, "roles": list(roles)})


def test_school_admin_invites_staff_who_accept_and_set_up_mfa(world, app, mailbox):
    school = world.school()
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    response = _invite_staff(admin, email="New.Teacher@School.example")
    assert response.status_code == 302
    assert "Invitation sent to new.teacher@school.example" in html(admin.get("/school/staff"))
    [message] = mailbox.to("new.teacher@school.example")
    body = mailbox.body(message)
    assert "Test School" in message["Subject"] and "72 hours" in body
    link = mailbox.link_in_last("new.teacher@school.example")

    newcomer = Browser(app.test_client())
    # Opening the link (as a mail scanner would) changes nothing.
    page = newcomer.get(link)
    assert page.status_code == 200 and "Designated safeguarding lead" in html(page)
    assert newcomer.get(link).status_code == 200
    weak = newcomer.submit(link, {"password": "password1234"})
    assert weak.status_code == 200 and "too common" in html(weak)
    with app.app_context():
        assert db.session.query(User).filter_by(email="new.teacher@school.example").count() == 0
    accepted = newcomer.submit(link, {"password": NEW_PASSWORD})
    assert accepted.status_code == 302 and accepted.location.endswith("/two-step/set-up")
    # A school user cannot reach the school side before MFA is set up.
    assert newcomer.get("/school/").status_code == 302
    setup = html(newcomer.get("/two-step/set-up"))
    key = re.search(r'id="manual-key">([A-Z0-9 ]+)<', setup).group(1).replace(" ", "")
    done = newcomer.submit("/two-step/set-up", {"code": pyotp.TOTP(key).now()})
    assert "save your recovery codes" in html(done)
    assert newcomer.get("/school/").status_code == 200

    # The same link again: already used.
    again = Browser(app.test_client()).get(link)
    assert again.status_code == 410 and "already been used" in html(again)
    with app.app_context():
        actions = {e.action for e in db.session.query(AuditEvent)}
        assert {"invitation.sent", "invitation.accepted", "mfa.enabled", "sign_in.succeeded"} <= actions


def test_expired_and_tampered_links_get_their_own_pages(world, app, mailbox):
    school = world.school()
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    _invite_staff(admin)
    link = mailbox.link_in_last("new.teacher@school.example")
    tampered = Browser(app.test_client()).get(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
    assert tampered.status_code == 404 and "This link is not valid" in html(tampered)
    import datetime

    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=72, minutes=1)
    with freeze_time(later):
        expired = Browser(app.test_client()).get(link)
        assert expired.status_code == 410 and "This link has expired" in html(expired)
        posted = Browser(app.test_client())
        token = posted.token()
        assert posted.client.post(link, data={"csrf_token": token, "password": NEW_PASSWORD}).status_code == 410
    with app.app_context():
        assert db.session.query(User).filter_by(email="new.teacher@school.example").count() == 0


def test_a_link_signed_for_another_purpose_is_refused(world, app):
    from shared import tokens

    school = world.school()
    with app.test_request_context():
        forged = tokens.make_token(tokens.RESET, "00000000-0000-0000-0000-000000000000")
    response = Browser(app.test_client()).get(f"/invitations/{forged}")
    assert response.status_code == 404 and "This link is not valid" in html(response)
    assert school  # the school exists; the token simply is not an invitation


def test_inviting_an_existing_account_is_refused_with_a_message(world, app, mailbox):
    school = world.school()
    existing = world.user(school, ["sendco"])
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    response = _invite_staff(admin, email=existing.email.upper())
    assert response.status_code == 200
    assert "There is already an account with this email address" in html(response)
    assert mailbox.messages == []


def test_invitation_with_no_role_or_a_provider_role_is_refused(world, app, mailbox):
    school = world.school()
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    none = _invite_staff(admin, roles=())
    assert "Select at least one role" in html(none)
    wrong = _invite_staff(admin, roles=("provider_manager",))
    assert wrong.status_code == 200 and "Select roles from the list" in html(wrong)
    with app.app_context():
        assert db.session.query(Invitation).count() == 0


def test_ap_lead_invites_a_provider_whose_manager_starts_onboarding(world, app, mailbox):
    school = world.school()
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, ["ap_lead"]))
    response = lead.submit(
        "/school/providers/invite",
        {"provider_name": "Hilltop Farm School", "name": "Morgan Manager", "email": "morgan@hilltop.example"},
    )
    assert response.status_code == 302
    page = html(lead.get("/school/providers"))
    assert "Hilltop Farm School" in page and "Invited" in page
    link = mailbox.link_in_last("morgan@hilltop.example")

    manager = Browser(app.test_client())
    accepted = manager.submit(link, {"password": NEW_PASSWORD})
    # A provider manager may turn MFA on later; they go straight to the portal.
    assert accepted.status_code == 302 and accepted.location.endswith("/portal/")
    home = html(manager.get("/portal/"))
    assert "Hilltop Farm School" in home and "Onboarding" in home
    with app.app_context():
        org = db.session.query(Organisation).filter_by(name="Hilltop Farm School").one()
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=org.id).one()
        assert profile.status == ProviderStatus.ONBOARDING and profile.school_id == school
    assert "Onboarding" in html(lead.get("/school/providers"))


def test_provider_manager_invites_a_dsl_who_must_set_up_mfa(world, app, mailbox):
    school = world.school()
    provider = world.provider(school)
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager"]))
    response = manager.submit(
        "/portal/users/invite",
        {"name": "Dee Ess", "email": "dee@provider.example", "roles": ["provider_dsl", "provider_staff"]},
    )
    assert response.status_code == 302
    link = mailbox.link_in_last("dee@provider.example")
    dsl = Browser(app.test_client())
    accepted = dsl.submit(link, {"password": NEW_PASSWORD})
    assert accepted.location.endswith("/two-step/set-up")
    assert dsl.get("/portal/").status_code == 302


def test_when_the_email_cannot_be_sent_nothing_is_saved(world, app, database_url, tmp_path):
    from tests.support.app import make_app

    no_mail = make_app(database_url, 1, tmp_path)  # nothing listens on port 1
    school = world.school()
    lead_person = world.user(school, ["ap_lead"])
    lead = Browser(no_mail.test_client())
    lead.sign_in(lead_person)
    response = lead.submit(
        "/school/providers/invite",
        {"provider_name": "Nowhere Tuition", "name": "Nia Manager", "email": "nia@nowhere.example"},
    )
    assert response.status_code == 200
    assert "could not be sent, so nothing was saved" in html(response)
    with app.app_context():
        assert db.session.query(Organisation).filter_by(name="Nowhere Tuition").count() == 0
        assert db.session.query(Invitation).count() == 0
        assert db.session.query(AuditEvent).filter(AuditEvent.action.like("%invite%")).count() == 0


def test_school_admin_changes_roles_and_deactivates(world, app):
    school = world.school()
    admin_person = world.user(school, ["school_admin"])
    teacher = world.user(school, ["sendco"])
    admin = Browser(app.test_client())
    admin.sign_in(admin_person)
    response = admin.submit(f"/school/staff/{teacher.id}/roles", {"roles": ["sendco", "dsl"]})
    assert response.status_code == 302
    assert "Roles updated" in html(admin.get("/school/staff"))
    own = admin.submit(f"/school/staff/{admin_person.id}/roles", {"roles": ["dsl"]})
    assert "You cannot remove your own permission to manage accounts" in html(own)
    admin.post(f"/school/staff/{admin_person.id}/deactivate")
    assert "You cannot deactivate your own account" in html(admin.get("/school/staff"))
    assert admin.post(f"/school/staff/{teacher.id}/deactivate").status_code == 302
    assert "can no longer sign in" in html(admin.get("/school/staff"))
    with app.app_context():
        person = db.session.get(User, teacher.id)
        assert not person.active and person.roles == {"sendco", "dsl"}
        old_new = db.session.query(AuditEvent).filter_by(action="user.roles_changed").one().details
        assert old_new == {"old": ["sendco"], "new": ["dsl", "sendco"]}


def test_names_are_kept_to_one_line(world, app, mailbox):
    """A crafted POST with a newline in a name cannot inject e-mail headers or break the page."""
    school = world.school()
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, ["ap_lead"]))
    response = lead.submit(
        "/school/providers/invite",
        {"provider_name": "Evil\r\nBcc: victim@example.com", "name": "Mal\nlory", "email": "mal@evil.example"},
    )
    assert response.status_code == 302
    [message] = mailbox.to("mal@evil.example")
    assert message["Bcc"] is None
    assert "Hello Mal lory" in mailbox.body(message)
    with app.app_context():
        assert db.session.query(Organisation).filter_by(name="Evil Bcc: victim@example.com").count() == 1


def test_people_lists_link_to_each_person_and_escape_names(world, app):
    """The names in the staff and user lists are real links, and a name with markup in it stays text."""
    school = world.school()
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    page = html(admin.get("/school/staff"))
    assert '<a class="govuk-link" href="/school/staff/' in page and "&lt;a class" not in page
    provider = world.provider(school)
    odd = world.user(provider, ["provider_staff"])
    with app.app_context():
        db.session.get(User, odd.id).name = "<b>Bold</b> Name"
        db.session.commit()
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager"]))
    users = html(manager.get("/portal/users"))
    assert f'href="/portal/users/{odd.id}">&lt;b&gt;Bold&lt;/b&gt; Name</a>' in users
