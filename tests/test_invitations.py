"""Invitations: school staff by the school admin, a provider by the AP lead, provider staff by its manager.
Links are single use, expire after 72 hours, and tampered ones are refused; the e-mailed link opens a page
whose button POSTs (mail scanners that pre-fetch links do not use it up)."""

import re

import pyotp
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AuditEvent, Invitation, Organisation, ProviderProfile, ProviderStatus, User
from tests.support.client import Browser, html
from tests.support.world import link_of

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
        assert link_of(profile.organisation_id, school).status == ProviderStatus.ONBOARDING
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


# --- no account oracle across organisations (issue 12) --------------------------------------------------------------


def _same_page(first, second, first_email: str, second_email: str) -> None:
    """Two answers a person sees are the same but for the address they typed (and per-request tokens)."""

    def plain(response, email):
        text = html(response).replace(email, "ADDRESS")
        return re.sub(r'value="[^"]*"|nonce="[^"]*"|\d{1,2} \w+ \d{4}', "", text)

    assert first.status_code == second.status_code
    assert first.headers.get("Location") == second.headers.get("Location")
    assert plain(first, first_email) == plain(second, second_email)


def _only_account(app, email: str) -> None:
    """The address still has its one account and one membership, nothing more."""
    from shared.models import Membership

    with app.app_context():
        [user] = db.session.query(User).filter_by(email=email).all()
        assert db.session.query(Membership).filter_by(user_id=user.id).count() == 1


def _told_owner(mailbox, email: str, organisation: str, *, not_in_mail: tuple[str, ...] = ()) -> None:
    [message] = mailbox.to(email)
    body = mailbox.body(message)
    assert "tried to invite you" in message["Subject"]
    assert f"Someone at {organisation} tried to invite this e-mail address" in body
    assert "nothing has changed" in body and f"contact {organisation}" in body
    assert "http" not in body and "/invitations/" not in body  # no link: it can never be accepted
    for private in not_in_mail:
        assert private not in body and private not in message["Subject"]


def test_a_provider_manager_cannot_tell_an_address_has_an_account_at_another_organisation(world, app, mailbox):
    school = world.school("Hillside Academy")
    riverside = world.provider(school, "Riverside Tuition")
    northside = world.provider(school, "Northside Learning")
    world.user(riverside, ["provider_manager"], email="manager@riverside.example")
    manager = Browser(app.test_client())
    manager.sign_in(world.user(northside, ["provider_manager"]))

    def invite(email):
        data = {"name": "Riley Rivers", "email": email, "roles": ["provider_dsl"]}
        response = manager.submit("/portal/users/invite", data)
        return response, manager.get(response.location) if response.status_code == 302 else response

    fresh, fresh_page = invite("someone.new@elsewhere.example")
    taken, taken_page = invite("manager@riverside.example")
    assert "There is already an account" not in html(taken) + html(taken_page)
    _same_page(fresh, taken, "someone.new@elsewhere.example", "manager@riverside.example")
    assert "Invitation sent to manager@riverside.example" in html(taken_page)
    assert "Invitation sent to someone.new@elsewhere.example" not in html(taken_page)

    _only_account(app, "manager@riverside.example")
    _told_owner(
        mailbox, "manager@riverside.example", "Northside Learning", not_in_mail=("Riley Rivers", "safeguarding")
    )
    # The new address got its ordinary invitation.
    assert "/invitations/" in mailbox.link_in_last("someone.new@elsewhere.example")


def test_an_invitation_made_for_an_account_elsewhere_can_never_be_accepted(world, app, mailbox):
    from shared import tokens

    school = world.school()
    riverside = world.provider(school, "Riverside Tuition")
    northside = world.provider(school, "Northside Learning")
    owner = world.user(riverside, ["provider_manager"], email="manager@riverside.example")
    manager = Browser(app.test_client())
    manager.sign_in(world.user(northside, ["provider_manager"]))
    manager.submit("/portal/users/invite", {"name": "R", "email": owner.email, "roles": ["provider_staff"]})
    with app.app_context():
        invitation = db.session.query(Invitation).filter_by(email=owner.email).one()
    with app.test_request_context():
        token = tokens.make_token(tokens.INVITATION, str(invitation.id))
    stranger = Browser(app.test_client())
    response = stranger.submit(f"/invitations/{token}", {"password": NEW_PASSWORD})
    assert response.status_code == 200 and "This invitation cannot be used" in html(response)
    _only_account(app, owner.email)
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert user.organisation.name == "Riverside Tuition"


def test_a_school_admin_cannot_tell_an_address_has_an_account_at_a_provider(world, app, mailbox):
    school = world.school("Hillside Academy")
    riverside = world.provider(school, "Riverside Tuition")
    world.user(riverside, ["provider_manager"], email="manager@riverside.example")
    admin = Browser(app.test_client())
    admin.sign_in(world.user(school, ["school_admin"]))
    fresh = _invite_staff(admin, email="someone.new@school.example")
    fresh_page = admin.get(fresh.location)
    taken = _invite_staff(admin, email="manager@riverside.example")
    taken_page = admin.get(taken.location)
    _same_page(fresh, taken, "someone.new@school.example", "manager@riverside.example")
    assert "Invitation sent to manager@riverside.example" in html(taken_page)
    assert html(fresh_page).count("someone.new@school.example") >= 1
    _only_account(app, "manager@riverside.example")
    _told_owner(mailbox, "manager@riverside.example", "Hillside Academy", not_in_mail=("New Teacher",))


def test_an_ap_lead_cannot_tell_a_provider_managers_address_has_an_account_elsewhere(world, app, mailbox):
    school = world.school("Hillside Academy")
    other_school = world.school("Lakeside High")
    world.user(other_school, ["dsl"], email="dsl@lakeside.example")
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, ["ap_lead"]))

    def invite(provider, email):
        data = {"provider_name": provider, "name": "Morgan Manager", "email": email}
        return lead.submit("/school/providers/invite", data)

    fresh = invite("Hilltop Farm School", "morgan@hilltop.example")
    taken = invite("Lakeview Farm School", "dsl@lakeside.example")
    assert fresh.status_code == taken.status_code == 302 and fresh.location == taken.location
    page = html(lead.get(taken.location))
    assert "Lakeview Farm School has been invited. Their manager has been sent an e-mail." in page
    assert "There is already an account" not in page
    _only_account(app, "dsl@lakeside.example")
    _told_owner(mailbox, "dsl@lakeside.example", "Hillside Academy", not_in_mail=("Lakeview", "Morgan"))


def test_an_address_in_the_inviters_own_organisation_still_gets_a_clear_message(world, app, mailbox):
    school = world.school()
    provider = world.provider(school)
    colleague = world.user(provider, ["provider_staff"])
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager"]))
    response = manager.submit(
        "/portal/users/invite", {"name": "C", "email": colleague.email, "roles": ["provider_staff"]}
    )
    assert response.status_code == 200 and "There is already an account with this email address" in html(response)
    assert mailbox.messages == []
