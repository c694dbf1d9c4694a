"""Provider onboarding on the portal: organisation details, teaching sites, contacts and the task list."""

import pytest

from shared.extensions import db
from shared.models import AuditEvent, ProviderProfile, ProviderSite
from tests.support.client import Browser, html

GOOD_DETAILS = {
    "provider_type": "unregistered_ap",
    "setting_type": "Farm-based vocational provision",
    "address_line_1": "Hill Farm",
    "town": "Exampleton",
    "postcode": "ex1  1aa",
}


@pytest.fixture
def manager(world, app):
    school = world.school()
    provider = world.provider(school, "Hill Farm Learning")
    person = world.user(provider, ["provider_manager"])
    browser = Browser(app.test_client())
    browser.sign_in(person)
    browser.provider_id = provider
    return browser


def _profile(app, provider_id):
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider_id).one()
        db.session.expunge(profile)
        return profile


def test_task_list_starts_incomplete_and_documents_wait_for_the_type(manager):
    page = html(manager.get("/portal/onboarding"))
    assert "Tell the school about your organisation" in page
    # Issue 13: inviting the DSL is a task too (only the manager has an account), and the DSL's confirmation of
    # the school's policy is not needed until the school uploads one.
    assert page.count("Incomplete") == 5 and page.count("Cannot start yet") == 2 and "Not needed yet" in page
    assert "Tell us your type of provider first" in page


def test_unregistered_provider_details_are_saved_with_a_tidy_postcode(manager, app):
    response = manager.submit("/portal/onboarding/organisation", GOOD_DETAILS)
    assert response.status_code == 302
    profile = _profile(app, manager.provider_id)
    assert profile.provider_type == "unregistered_ap" and profile.postcode == "EX1 1AA"
    assert profile.urn is None and profile.setting_type == "Farm-based vocational provision"
    page = html(manager.get("/portal/onboarding"))
    assert "Organisation details saved" in page
    assert "documents for your type of provider" in page
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="provider.details_saved").one()
        assert event.details == {"old_type": None, "new_type": "unregistered_ap"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"provider_type": ""}, "Select the type of provider"),
        ({"provider_type": "pru", "setting_type": ""}, "Enter your URN or your UKPRN"),
        ({"provider_type": "pru", "urn": "12345"}, "A URN is 6 digits"),
        ({"provider_type": "fe_college", "ukprn": "20012345"}, "A UKPRN is 8 digits starting with 1"),
        ({"setting_type": ""}, "Describe your setting"),
        ({"postcode": "NOT A CODE"}, "Enter a real postcode"),
        ({"company_number": "123"}, "A company number is 8 characters"),
        ({"charity_number": "12ab"}, "A charity number is 6 to 8 digits"),
        ({"provider_type": "made_up"}, "Select the type of provider"),
    ],
)
def test_organisation_details_refused_with_a_reason(manager, app, changes, message):
    response = manager.submit("/portal/onboarding/organisation", {**GOOD_DETAILS, **changes})
    assert response.status_code == 200
    assert message in html(response)
    assert _profile(app, manager.provider_id).provider_type is None


def test_registered_provider_gives_a_urn(manager, app):
    details = {**GOOD_DETAILS, "provider_type": "pru", "urn": "123456", "setting_type": "ignored"}
    assert manager.submit("/portal/onboarding/organisation", details).status_code == 302
    profile = _profile(app, manager.provider_id)
    assert profile.urn == "123456" and profile.setting_type is None


def test_sites_are_added_and_removed(manager, app):
    site = {
        "name": "Main barn",
        "address_line_1": "Hill Farm",
        "town": "Exampleton",
        "postcode": "EX1 1AA",
        "activities": "Animal care and English",
    }
    missing = manager.submit("/portal/onboarding/sites", {**site, "activities": ""})
    assert "Say what happens at this site" in html(missing)
    assert manager.submit("/portal/onboarding/sites", site).status_code == 302
    page = html(manager.get("/portal/onboarding/sites"))
    assert "Main barn" in page and "Animal care and English" in page
    with app.app_context():
        site_id = db.session.query(ProviderSite).one().id
    assert manager.post(f"/portal/onboarding/sites/{site_id}/remove").status_code == 302
    assert "Main barn removed" in html(manager.get("/portal/onboarding/sites"))
    with app.app_context():
        assert db.session.query(ProviderSite).count() == 0
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]
        assert "provider.site_added" in actions and "provider.site_removed" in actions


def test_another_providers_site_is_a_404(manager, world, app):
    other = world.provider(world.school("Other School"), "Other Provider")
    other_site = world.site(other)
    assert manager.post(f"/portal/onboarding/sites/{other_site}/remove").status_code == 404
    with app.app_context():
        assert db.session.get(ProviderSite, other_site) is not None


CONTACTS = {
    "manager_name": "Morgan Manager",
    "manager_email": "morgan@hillfarm.example",
    "manager_phone": "01632 960 001",
    "dsl_name": "Dee Ess",
    "dsl_email": "dee@hillfarm.example",
    "dsl_phone": "01632 960 002",
    "dsl_training_date": ["3", "9", "2025"],
}


def test_contacts_with_the_dsl_training_date(manager, app):
    from datetime import date

    response = manager.submit("/portal/onboarding/contacts", CONTACTS)
    assert response.status_code == 302
    profile = _profile(app, manager.provider_id)
    assert profile.dsl_training_date == date(2025, 9, 3) and profile.dsl_name == "Dee Ess"
    assert "Completed" in html(manager.get("/portal/onboarding"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dsl_training_date": ["31", "2", "2025"]}, "Enter a real date"),
        ({"dsl_training_date": ["", "", ""]}, "Enter the date of the DSL"),
        ({"dsl_training_date": ["1", "1", "2999"]}, "must be today or in the past"),
        ({"dsl_phone": "call me"}, "Enter the DSL&#39;s phone number"),
        ({"manager_email": "not-an-email"}, "Enter an email address in the correct format"),
    ],
)
def test_contacts_refused_with_a_reason(manager, app, changes, message):
    response = manager.submit("/portal/onboarding/contacts", {**CONTACTS, **changes})
    assert response.status_code == 200
    assert message in html(response)
    assert _profile(app, manager.provider_id).dsl_name is None
