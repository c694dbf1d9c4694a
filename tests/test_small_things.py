"""Issue 13, small things people noticed: removing a site or a staff member asks first; the 'file too large' page
leads back to the form; a new provider is led through onboarding (the home page's link, inviting the DSL, the DSL's
confirmation of the school's policy on the task list, and the submit page linking to what is missing)."""

import html as html_text
import io

import pytest
from sqlalchemy import select

from shared.extensions import db
from shared.models import PlacementSite, ProviderSite, ProviderStatus, StaffMember
from tests.support.client import Browser, html


def text(response) -> str:
    return html_text.unescape(html(response))


@pytest.fixture
def hill_farm(world, app):
    school = world.school()
    provider = world.provider(school, "Hill Farm Learning")
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager"]))
    return {"school": school, "provider": provider, "manager": manager}


def _sites(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ProviderSite.name)))


# --- "Remove" asks first --------------------------------------------------------------------------------------------


def test_removing_a_site_asks_first_and_keeps_it_until_confirmed(app, world, hill_farm):
    manager = hill_farm["manager"]
    site = world.site(hill_farm["provider"], "Main barn")
    page = html(manager.get("/portal/onboarding/sites"))
    url = f"/portal/onboarding/sites/{site}/remove"
    assert f'href="{url}"' in page and f'action="{url}"' not in page  # one click opens a question, removes nothing
    question = manager.get(url)
    assert question.status_code == 200
    assert "Are you sure you want to remove Main barn?" in text(question)
    assert "No, keep Main barn" in text(question)
    assert _sites(app) == ["Main barn"]
    answered = manager.submit(url, {"submit": "remove"})
    assert answered.status_code == 302 and _sites(app) == []
    assert "Main barn removed" in html(manager.get(answered.location))


def test_a_site_a_placement_plan_names_cannot_be_removed(app, world, hill_farm):
    manager = hill_farm["manager"]
    site = world.site(hill_farm["provider"], "Main barn")
    placement = world.placement(hill_farm["school"], hill_farm["provider"])
    with app.app_context():
        db.session.add(PlacementSite(placement_id=placement, site_id=site))
        db.session.commit()
    url = f"/portal/onboarding/sites/{site}/remove"
    page = text(manager.get(url))
    assert "The school's placement plans name Main barn (1 placement), so it stays on the record" in page
    assert "Yes, remove" not in page
    assert manager.post(url, {"submit": "remove"}).status_code == 200
    assert _sites(app) == ["Main barn"]


def test_removing_a_staff_member_asks_first_and_says_the_confirmation_must_be_signed_again(app, world, hill_farm):
    manager = hill_farm["manager"]
    member = world.staff_member(hill_farm["provider"], "Sam Tutor")
    url = f"/portal/onboarding/staff/{member}/remove"
    page = html(manager.get("/portal/onboarding/staff"))
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    question = text(manager.get(url))
    assert "Are you sure you want to remove Sam Tutor?" in question
    assert "written confirmation will need signing again" in question
    with app.app_context():
        assert db.session.get(StaffMember, member).removed_at is None
    assert manager.submit(url, {"submit": "remove"}).status_code == 302
    with app.app_context():
        assert db.session.get(StaffMember, member).removed_at is not None


# --- "file too large" leads back ------------------------------------------------------------------------------------


def test_the_file_too_large_page_links_back_to_the_form(app, world):
    school = world.school()
    sendco = Browser(app.test_client())
    sendco.sign_in(world.user(school, ["sendco"]))
    assert sendco.get("/school/pupils/import").status_code == 200
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = sendco.post(
            "/school/pupils/import",
            {"file": (io.BytesIO(b"upn,first_name\n" + b"x" * 4096), "pupils.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert response.status_code == 413
    page = html(response)
    assert "The file is too large" in page
    assert '<a class="govuk-link" href="/school/pupils/import">Go back to the form</a>' in page


# --- a new provider is led through onboarding ----------------------------------------------------------------------


def test_a_new_providers_home_links_to_onboarding_and_asks_for_a_dsl(world, hill_farm):
    page = text(hill_farm["manager"].get("/portal/"))
    assert 'href="/portal/onboarding">Tell the school about your organisation (your task list)</a>' in page
    assert "No one at your organisation has the designated safeguarding lead (DSL) role" in page
    assert 'href="/portal/users/invite">Invite your DSL</a>' in page


def test_the_task_list_has_inviting_the_dsl_and_the_dsls_confirmation_of_the_policy(app, world, hill_farm):
    manager = hill_farm["manager"]
    world.school_policy(hill_farm["school"])
    page = text(manager.get("/portal/onboarding"))
    assert "Invite your designated safeguarding lead" in page
    assert "No one at your organisation has the designated safeguarding lead (DSL) role" in page
    assert "Your DSL confirms the school's child protection policy" in page
    assert "Version 1 not confirmed yet. Invite your DSL first" in page
    world.user(hill_farm["provider"], ["provider_dsl"])
    page = text(manager.get("/portal/onboarding"))
    assert "No one at your organisation has the designated safeguarding lead (DSL) role" not in page
    assert "Your DSL confirms it on the school's policy page" in page
    assert 'href="/portal/policies"' in page
    assert "Invite your DSL" not in text(manager.get("/portal/"))


def test_the_submit_page_links_to_each_thing_still_missing(world, hill_farm):
    manager = hill_farm["manager"]
    world.school_policy(hill_farm["school"])
    page = text(manager.get("/portal/onboarding/submit"))
    assert "Still to do" in page
    for href, label in (
        ("/portal/onboarding/organisation", "Organisation details"),
        ("/portal/onboarding/sites", "Teaching sites listed"),
        ("/portal/onboarding/contacts", "DSL named, with phone and training date"),
        ("/portal/onboarding/staff", "Staff list"),
        ("/portal/policies", "The DSL has confirmed the school's current child protection policy"),
    ):
        assert f'<a class="govuk-link" href="{href}">{label}</a>' in page, label
    refused = text(manager.submit("/portal/onboarding/submit", {"submit": "y"}))
    assert "Finish these first" in refused and "Still to do" in refused


def test_an_approved_providers_home_still_links_to_its_onboarding_details(world, app):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    manager = Browser(app.test_client())
    manager.sign_in(world.user(provider, ["provider_manager", "provider_dsl"]))
    page = text(manager.get("/portal/"))
    assert "Your organisation's details, documents and staff list" in page and "Invite your DSL" not in page
