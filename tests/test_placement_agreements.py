"""A placement's own terms in place of the provider's agreement: set, changed and removed by the AP lead, read by the
school's agreement readers, shown to the provider for its own pupils only; the provider's own agreement is never
mistaken for an override, nor an override for it. Frozen time throughout."""

from __future__ import annotations

import uuid
from datetime import date
from html import unescape

import pytest
from freezegun import freeze_time

from shared import roles
from shared.extensions import db
from shared.models import AuditEvent, Placement, ProviderStatus, ServiceAgreement, User
from shared.services.agreements import compliance
from shared.services.agreements import terms as agreements
from shared.services.errors import RuleBroken
from shared.services.school_calendar import half_terms
from tests.support.client import html
from tests.support.world import link_of

NOW = "2026-11-30 12:00:00"

# The provider's agreement, as the form shows it (world.agreement's terms, with a cost).
PROVIDERS = {
    "starts_on": ["1", "9", "2026"],
    "ends_on": ["", "", ""],
    "incidents_within_hours": "24",
    "reviews_every_weeks": "6",
    "commitments": list(agreements.COMMITMENTS),
    "behaviour_expectations": "",
    "reporting_procedures": "",
    "cost_per_session": "45.50",
    "cost_per_week": "",
}


@pytest.fixture
def setting(app, world):
    """Builds, inside the test's frozen time: a school, two approved providers, the first with an agreement and
    two pupils placed there, the second with one pupil."""

    def build(*, with_agreement: bool = True):
        school = world.school()
        provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
        other = world.provider(school, "Southside Skills", ProviderStatus.APPROVED)
        if with_agreement:
            world.agreement(provider, cost_per_session_pence=4550)
        ava = world.placement(school, provider, world.pupil(school, first_name="Ava", last_name="Example"))
        ben = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Brown"))
        cal = world.placement(school, other, world.pupil(school, first_name="Cal", last_name="Green"))
        return school, provider, other, ava, ben, cal

    return build


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.seq).all()
        db.session.expunge_all()
        return rows


def own_terms_section(page: str) -> str:
    """The "Different terms for some placements" part of an agreement page (the figures below name pupils too)."""
    assert "Different terms for some placements" in page
    rest = page.split("Different terms for some placements", 1)[1]
    return rest.split('<h2 class="govuk-heading-m">', 1)[0]


def agreement_rows(app) -> int:
    with app.app_context():
        return db.session.query(ServiceAgreement).count()


@freeze_time(NOW)
def test_the_ap_lead_gives_one_placement_its_own_terms_then_removes_them(app, world, browser, new_browser, setting):
    school, provider, _, ava, ben, _ = setting()
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    url = f"/school/placements/{ava}/agreement"
    assert url in html(browser.get(f"/school/placements/{ava}"))  # the link from the placement page

    page = html(browser.get(url))
    assert "follows <strong>the provider's agreement</strong>" in unescape(page) and "24 hours" in page
    assert "Set different terms for this placement" in page and "Return to the provider" not in page

    # The form starts from the provider's agreement.
    form = html(browser.get(f"{url}/edit"))
    assert 'value="24"' in form and 'value="45.50"' in form and "Filled in from the agreement" in form

    response = browser.submit(f"{url}/edit", PROVIDERS | {"incidents_within_hours": "48", "reviews_every_weeks": "4"})
    assert response.status_code == 302 and response.location.endswith(url)
    page = unescape(html(browser.get(url)))
    assert "Terms saved for Ava Example's placement" in page
    assert "terms of its own" in page and "Incidents reported within 48 hours" in page
    assert "Placement reviews at least every 4 weeks" in page and "Return to the provider's terms" in page
    (saved,) = events(app, "agreement.placement_saved")
    assert saved.details == {"fields": ["incidents_within_hours", "reviews_every_weeks"]}
    assert (saved.object_type, saved.object_id, saved.organisation_id) == ("Placement", str(ava), school)

    # The form now starts from the placement's own terms; changing one names only that one.
    assert 'value="48"' in html(browser.get(f"{url}/edit")) and "This placement's own terms" in browser.last_html
    browser.submit(f"{url}/edit", PROVIDERS | {"incidents_within_hours": "72", "reviews_every_weeks": "4"})
    assert events(app, "agreement.placement_saved")[1].details == {"fields": ["incidents_within_hours"]}

    with app.app_context():
        ava_placement, ben_placement = db.session.get(Placement, ava), db.session.get(Placement, ben)
        own = agreements.placement_agreement(ava_placement)
        assert own is not None and own.incidents_within_hours == 72 and own.placement_id == ava
        assert agreements.placement_agreement(ben_placement) is None
        assert agreements.terms_in_force(ava_placement).id == own.id
        assert agreements.terms_in_force(ben_placement).incidents_within_hours == 24
        # The provider's agreement is still the provider's, though the override is newer.
        assert agreements.agreement_for(provider, school).placement_id is None
        assert agreements.agreement_for(provider, school).incidents_within_hours == 24
        assert agreements.overrides_for([provider]) == {ava: own}
        assert agreements.overrides_for([]) == {}
        # The compliance figures hold the provider to its own agreement, not to a placement's.
        profile = ava_placement.provider.provider_profile
        report = compliance.compliance_of(link_of(profile.organisation_id), half_terms.current_period(school))
        assert report.agreement.placement_id is None and report.agreement.incidents_within_hours == 24

    # The provider's agreement page (school side) lists what differs for Ava only.
    page = unescape(html(browser.get(f"/school/providers/{provider}/agreement")))
    section = own_terms_section(page)
    assert "Ava Example" in section and f"/school/placements/{ava}/agreement" in section
    assert "Incidents reported within 72 hours" in section and "Ben Brown" not in section
    assert "Placement reviews at least every 4 weeks" in section and "Incidents reported within</dt>" in page

    # Changing the provider's agreement changes the provider's row, never the override.
    browser.submit(f"/school/providers/{provider}/agreement/edit", PROVIDERS | {"incidents_within_hours": "12"})
    with app.app_context():
        assert agreements.agreement_for(provider, school).incidents_within_hours == 12
        assert agreements.placement_agreement(db.session.get(Placement, ava)).incidents_within_hours == 72
        assert db.session.query(ServiceAgreement).count() == 2

    # Removing returns the placement to the provider's terms.
    response = browser.post(f"{url}/remove")
    assert response.status_code == 302 and response.location.endswith(url)
    page = unescape(html(browser.get(url)))
    assert "Ava Example's placement now follows the agreement with Northside Learning" in page
    assert "follows <strong>the provider's agreement</strong>" in page and "12 hours" in page
    with app.app_context():
        assert agreements.placement_agreement(db.session.get(Placement, ava)) is None
        assert agreements.overrides_for([provider]) == {}
    assert agreement_rows(app) == 1
    (removed,) = events(app, "agreement.placement_removed")
    assert (removed.details, removed.object_id) == ({}, str(ava))
    assert "Different terms for some placements" not in html(browser.get(f"/school/providers/{provider}/agreement"))

    # Removing again says so and changes nothing.
    browser.post(f"{url}/remove")
    assert "This placement already follows the provider's agreement" in unescape(html(browser.get(url)))
    assert len(events(app, "agreement.placement_removed")) == 1


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"incidents_within_hours": "two days"}, "Enter the hours as a whole number, like 24"),
        ({"incidents_within_hours": "200"}, "Incidents must be reported within 1 to 168 hours (one week)"),
        ({"reviews_every_weeks": "0"}, "Reviews must be held at least every 1 to 52 weeks"),
        ({"cost_per_week": "a lot"}, "Cost per week must be an amount in pounds, like 45.50"),
        ({"ends_on": ["1", "8", "2026"]}, "The end date must be on or after the start date"),
        ({"starts_on": ["31", "2", "2027"]}, "Enter a real date, like 27 3 2025"),
        ({}, "These are the same as the provider's agreement"),
    ],
)
def test_bad_terms_for_a_placement_are_explained_and_nothing_is_saved(app, world, browser, setting, change, message):
    school, _, _, ava, _, _ = setting()
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    response = browser.submit(f"/school/placements/{ava}/agreement/edit", PROVIDERS | change)
    page = unescape(html(response))
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert agreement_rows(app) == 1
    assert events(app, "agreement.placement_saved") == []


@freeze_time(NOW)
def test_a_placements_own_terms_need_the_providers_agreement_first(app, world, browser, setting):
    school, provider, _, ava, _, _ = setting(with_agreement=False)
    lead = world.user(school, [roles.AP_LEAD])
    browser.sign_in(lead)
    url = f"/school/placements/{ava}/agreement"
    page = html(browser.get(url))
    assert "No agreement has been recorded with Northside Learning yet" in page
    assert "Set different terms" not in page
    for response in (browser.get(f"{url}/edit"), browser.post(f"{url}/edit", PROVIDERS)):
        assert response.status_code == 302 and response.location.endswith(url)
    assert "Record the agreement with Northside Learning first" in html(browser.get(url))
    with app.app_context():
        placement = db.session.get(Placement, ava)
        assert agreements.terms_in_force(placement) is None
        terms = agreements.AgreementTerms(
            starts_on=date(2026, 9, 1),
            ends_on=None,
            incidents_within_hours=48,
            reviews_every_weeks=6,
            behaviour_expectations=None,
            reporting_procedures=None,
            cost_per_session_pence=None,
            cost_per_week_pence=None,
            **dict.fromkeys(agreements.COMMITMENTS, True),
        )
        with pytest.raises(RuleBroken, match="Record the agreement with Northside Learning first"):
            agreements.save_placement_agreement(placement, terms, by=db.session.get(User, lead.id))
    assert agreement_rows(app) == 0


@freeze_time(NOW)
def test_readers_see_the_terms_only_the_ap_lead_changes_them_and_other_schools_get_a_404(
    app, world, new_browser, setting
):
    school, _, _, ava, _, _ = setting()
    url = f"/school/placements/{ava}/agreement"
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    lead.submit(f"{url}/edit", PROVIDERS | {"reviews_every_weeks": "3"})
    for role in (roles.HEADTEACHER, roles.SLT, roles.DSL):
        reader = new_browser()
        reader.sign_in(world.user(school, [role]))
        page = unescape(html(reader.get(url)))
        assert "terms of its own" in page and "at least every 3 weeks" in page
        assert "Change the terms" not in page and "Return to the provider's terms" not in page
        assert url not in html(reader.get(f"/school/placements/{ava}"))  # the link is the AP lead's
        assert reader.get(f"{url}/edit").status_code == 403
        assert reader.post(f"{url}/edit", PROVIDERS).status_code == 403
        assert reader.post(f"{url}/remove").status_code == 403
    sendco = new_browser()
    sendco.sign_in(world.user(school, [roles.SENDCO]))
    assert sendco.get(url).status_code == 403

    stranger = new_browser()
    stranger.sign_in(world.user(world.school("Other School"), [roles.AP_LEAD]))
    for response in (
        stranger.get(url),
        stranger.get(f"{url}/edit"),
        stranger.post(f"{url}/edit", PROVIDERS | {"reviews_every_weeks": "2"}),
        stranger.post(f"{url}/remove"),
        stranger.get(f"/school/placements/{uuid.uuid4()}/agreement"),
    ):
        assert response.status_code == 404
    with app.app_context():
        assert agreements.placement_agreement(db.session.get(Placement, ava)).reviews_every_weeks == 3
    assert len(events(app, "agreement.placement_saved")) == 1 and events(app, "agreement.placement_removed") == []


@freeze_time(NOW)
def test_the_provider_sees_only_its_own_placements_with_different_terms(app, world, new_browser, setting):
    school, provider, other, ava, ben, cal = setting()
    world.agreement(other)
    lead = new_browser()
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    lead.submit(f"/school/placements/{ava}/agreement/edit", PROVIDERS | {"cost_per_session": "60.00"})
    lead.submit(f"/school/placements/{cal}/agreement/edit", PROVIDERS | {"incidents_within_hours": "12"})
    # A placement the provider was never told of (cancelled) keeps its terms from the provider's sight.
    hidden = world.placement(
        school, provider, world.pupil(school, first_name="Dee", last_name="Hidden"), status="cancelled"
    )
    assert lead.submit(f"/school/placements/{hidden}/agreement/edit", PROVIDERS | {"reviews_every_weeks": "2"})
    with app.app_context():
        assert set(agreements.overrides_for([provider])) == {ava, hidden}
        assert set(agreements.overrides_for([provider, other])) == {ava, hidden, cal}

    for role in (roles.PROVIDER_MANAGER, roles.PROVIDER_DSL):
        person = new_browser()
        person.sign_in(world.user(provider, [role]))
        page = unescape(html(person.get("/portal/agreement")))
        section = own_terms_section(page)
        assert "Ava Example" in section and "Cost per session: £60.00" in section
        assert "All the terms for Ava Example's placement" in section
        assert "Ben Brown" not in section and "Dee Hidden" not in section
        assert "Cal Green" not in page and "Incidents reported within 12 hours" not in page
        # The provider's own terms stay the provider's at the top of the page.
        assert "£45.50 a session" in page

    theirs = new_browser()
    theirs.sign_in(world.user(other, [roles.PROVIDER_MANAGER]))
    page = unescape(html(theirs.get("/portal/agreement")))
    section = own_terms_section(page)
    assert "Cal Green" in section and "Incidents reported within 12 hours" in section
    assert "Ava Example" not in page and "£60.00" not in page

    # A provider with no placements of different terms sees no such section.
    third = world.provider(school, "Westside Works", ProviderStatus.APPROVED)
    world.agreement(third)
    nobody = new_browser()
    nobody.sign_in(world.user(third, [roles.PROVIDER_MANAGER]))
    assert "Different terms for some placements" not in html(nobody.get("/portal/agreement"))
