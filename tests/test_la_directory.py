"""The local authority's directory of providers (issue 14): the providers its schools use, searched by area, type and
what they offer, each with its verification status (how many required items are verified and in date, by whom) and
the LA's schools using it; the LA verifying evidence its schools may rely on; QA visits shared between the schools
using a provider and the LA."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from shared.extensions import db
from shared.models import (
    AuditEvent,
    DocumentStatus,
    EvidenceDocument,
    Organisation,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    SiteVisit,
)
from shared.services.local_authority import directory
from tests.support.client import Browser, html


@pytest.fixture
def area(world):
    """Demo Borough Council with Hillside and Riverside; Other Council with Elmwood.

    Northside (unregistered AP, in Exampleton EX1) works with Hillside (approved) and Riverside (onboarding);
    Eastgate (a tutor, in Westbury WB10) with Riverside only; Farfield (an FE college whose site is in Exampleton too)
    only with Elmwood, in the other council's area, so it is not in Demo Borough's directory."""
    la = world.local_authority("Demo Borough Council")
    other_la = world.local_authority("Other Council")
    hillside = world.school("Hillside School", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    elmwood = world.school("Elmwood School", local_authority_id=other_la)
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside, ProviderStatus.ONBOARDING)
    eastgate = world.provider(riverside, "Eastgate Tuition", ProviderStatus.SUBMITTED, provider_type="tutor")
    farfield = world.provider(elmwood, "Farfield College", ProviderStatus.APPROVED, provider_type="fe_college")
    _site(world, northside, "Workshop", "Exampleton", "EX1 2BB", "Motor vehicle maintenance, English and maths")
    _site(world, eastgate, "Library room", "Westbury", "WB10 1CC", "One-to-one maths tuition")
    _site(world, farfield, "Campus", "Exampleton", "EX1 3DD", "Construction and maths")
    return {
        "la": la,
        "other_la": other_la,
        "hillside": hillside,
        "riverside": riverside,
        "elmwood": elmwood,
        "northside": northside,
        "eastgate": eastgate,
        "farfield": farfield,
    }


def _site(world, provider_id, name, town, postcode, activities) -> uuid.UUID:
    with world.app.app_context():
        profile = db.session.scalar(sa.select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))
        site = ProviderSite(
            profile=profile,
            organisation_id=provider_id,
            name=name,
            address_line_1="1 High Street",
            town=town,
            postcode=postcode,
            activities=activities,
        )
        db.session.add(site)
        db.session.commit()
        return site.id


def _verified(world, provider_id, evidence_type, by_org, *, expiry: date | None = None) -> uuid.UUID:
    document = world.document_row(provider_id, evidence_type, status="verified")
    with world.app.app_context():
        row = db.session.get(EvidenceDocument, document)
        row.reviewed_by_organisation_id = by_org
        row.expiry_date = expiry
        db.session.commit()
    return document


def _signed_in(app, world, org, roles) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(org, roles))
    return browser


def _names(page) -> list[str]:
    return [e.name for e in page.entries]


# --- the directory (service) -----------------------------------------------------------------------------------------


def test_the_directory_lists_the_providers_the_las_schools_use_with_each_ones_schools(app, area):
    with app.app_context():
        page = directory.directory(area["la"])
        assert _names(page) == ["Eastgate Tuition", "Northside Learning"]  # not Farfield: only Elmwood uses it
        assert page.total == 2 and page.pages == 1
        northside = page.entries[1]
        assert [(u.school_name, u.status_label) for u in northside.schools] == [
            ("Hillside School", "Approved"),
            ("Riverside School", "Onboarding"),
        ]
        assert northside.type_label == "Unregistered alternative provision" and northside.places == ["Exampleton"]
        # The other council sees only Farfield, with Elmwood.
        other = directory.directory(area["other_la"])
        assert _names(other) == ["Farfield College"]
        assert [u.school_name for u in other.entries[0].schools] == ["Elmwood School"]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ({"area": "Exampleton"}, ["Northside Learning"]),
        ({"area": "exampleton"}, ["Northside Learning"]),
        ({"area": "EX1"}, ["Northside Learning"]),
        ({"area": "ex1 9zz"}, ["Northside Learning"]),  # a full postcode searches its district
        ({"area": "WB10"}, ["Eastgate Tuition"]),
        ({"area": "WB1"}, []),  # a district is not a prefix of another
        ({"type": "tutor"}, ["Eastgate Tuition"]),
        ({"type": "not-a-type"}, ["Eastgate Tuition", "Northside Learning"]),  # ignored
        ({"offer": "maths"}, ["Eastgate Tuition", "Northside Learning"]),
        ({"offer": "Motor maths"}, ["Northside Learning"]),  # every word, in any of its sites
        ({"offer": "construction"}, []),  # Farfield's, and Farfield is not this LA's
        ({"offer": "100%"}, []),  # LIKE's wildcards are taken literally
        ({"area": "Exampleton", "type": "tutor"}, []),
    ],
)
def test_the_directory_is_searched_by_area_type_and_what_they_offer(app, area, search, found):
    with app.app_context():
        assert _names(directory.directory(area["la"], directory.Search.of(search))) == found


def test_each_providers_verification_counts_required_items_verified_and_in_date_and_says_by_whom(app, world, area):
    northside, la = area["northside"], area["la"]
    today = date(2026, 11, 10)
    _verified(world, northside, "behaviour_policy", area["hillside"])
    _verified(world, northside, "risk_assessment", area["hillside"])
    _verified(world, northside, "curriculum_offer", la)
    _verified(world, northside, "public_liability_insurance", la, expiry=today)  # lapses today: not in date
    world.document_row(northside, "health_and_safety_policy")  # awaiting review
    with app.app_context():
        entry = directory.entry(la, northside, today=today)
        assert entry.verification.required == 8  # an unregistered AP: every type but registration
        assert entry.verification.verified == 3
        assert entry.verification.by == [("Hillside School", 2), ("Demo Borough Council", 1)]
        assert directory.entry(la, area["farfield"], today=today) is None  # not used by its schools


def _count_queries(app, browser, url: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = browser.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def test_the_directory_page_makes_the_same_few_queries_however_many_providers(app, world, area):
    _verified(world, area["northside"], "behaviour_policy", area["hillside"])
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    urls = ["/la/directory", "/la/directory?area=EX1&type=unregistered_ap&offer=maths"]
    before = [_count_queries(app, officer, url) for url in urls]
    for n in range(30):  # more than a page
        school = area["hillside"] if n % 2 else area["riverside"]
        provider = world.provider(school, f"Provider {n:02}", ProviderStatus.APPROVED, provider_type="unregistered_ap")
        world.works_with(area["elmwood"], provider)
        _site(world, provider, "Main", "Exampleton", "EX1 1AA", "Maths and English")
        _verified(world, provider, "behaviour_policy", area["hillside"])
        world.document_row(provider, "risk_assessment")
    after = [_count_queries(app, officer, url) for url in urls]
    assert after == before, f"queries grew with the number of providers: {before} -> {after}"
    assert max(after) <= 20
    assert "Provider 11" in html(officer.get("/la/directory"))
    assert "Provider 29" in html(officer.get("/la/directory?page=2"))


def test_the_directory_is_shown_a_page_at_a_time_keeping_the_search(app, world, area):
    for n in range(30):
        provider = world.provider(area["hillside"], f"Provider {n:02}", provider_type="tutor")
        _site(world, provider, "Main", "Exampleton", "EX1 1AA", "Maths")
    with app.app_context():
        first = directory.directory(area["la"])
        assert first.total == 32 and first.pages == 2 and len(first.entries) == directory.PAGE_SIZE
        assert (first.first_shown, first.last_shown) == (1, 25)
        second = directory.directory(area["la"], directory.Search.of({"page": "2"}))
        assert len(second.entries) == 7 and (second.first_shown, second.last_shown) == (26, 32)
        assert directory.directory(area["la"], directory.Search.of({"page": "99"})).number == 2  # the last
        assert directory.directory(area["la"], directory.Search.of({"page": "x"})).number == 1
        assert {e.name for e in first.entries + second.entries} >= {"Northside Learning", "Eastgate Tuition"}
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    page = html(officer.get("/la/directory?type=tutor&offer=maths"))
    assert "31 providers found" in page and "Showing 1 to 25, page 1 of 2." in page
    assert 'aria-label="Pages of the directory"' in page
    assert "/la/directory?type=tutor&amp;offer=maths&amp;page=2" in page


# --- the pages ------------------------------------------------------------------------------------------------------


def test_the_officer_searches_the_directory_without_javascript_and_sees_names_only_of_its_schools(app, world, area):
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    page = html(officer.get("/la/directory"))
    assert 'method="get"' in page and "Directory of providers" in page
    assert "Northside Learning" in page and "Eastgate Tuition" in page and "Farfield College" not in page
    assert "Hillside School: Approved" in page and "Elmwood School" not in page
    found = html(officer.get("/la/directory?area=Westbury&type=&offer=tuition"))
    assert "1 provider found" in found and "Eastgate Tuition" in found and "Northside Learning" not in found
    assert 'value="Westbury"' in found
    none = html(officer.get("/la/directory?offer=knitting"))
    assert "No provider your schools use matches" in none


def test_the_provider_page_shows_the_evidence_and_who_verified_each_item(app, world, area):
    northside = area["northside"]
    _verified(world, northside, "behaviour_policy", area["hillside"])
    waiting = world.document_row(northside, "risk_assessment")
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    page = html(officer.get(f"/la/directory/{northside}"))
    assert "Northside Learning" in page and "Hillside School" in page
    behaviour = page.split("Behaviour policy", 1)[1].split("</tr>", 1)[0]
    assert "Verified" in behaviour and "Hillside School" in behaviour
    assert f"/la/evidence/{waiting}" in page
    # A provider none of its schools uses, in its area or not, and a made-up id: a 404.
    assert officer.get(f"/la/directory/{area['farfield']}").status_code == 404
    assert officer.get(f"/la/directory/{uuid.uuid4()}").status_code == 404
    assert officer.get(f"/la/directory/{area['farfield']}/visits/new").status_code == 404


def test_the_officer_verifies_a_document_and_the_la_is_recorded_as_the_verifier(app, world, area):
    northside, la = area["northside"], area["la"]
    document = world.document(northside, "behaviour_policy")
    officer = _signed_in(app, world, la, ["la_officer"])
    url = f"/la/evidence/{document}"
    page = html(officer.get(url))
    assert "Verify document" in page and f"/la/evidence/{document}/download" in page
    reviewed = date.today() - timedelta(days=30)
    response = officer.submit(
        url,
        {
            "verify-checklist": [
                "Reviewed within the last 12 months",
                "Covers use of reasonable force and how it is recorded",
            ],
            "verify-review_date": [str(reviewed.day), str(reviewed.month), str(reviewed.year)],
        },
        post_url=url + "/verify",
    )
    assert response.status_code == 302 and response.location.endswith(f"/la/directory/{northside}")
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        assert row.status == DocumentStatus.VERIFIED and row.reviewed_by_organisation_id == la
    page = html(officer.get(f"/la/directory/{northside}"))
    assert "Behaviour policy verified. Schools relying on your verification can use it." in page
    row = page.split("Verified or rejected by", 1)[1].split("Behaviour policy", 1)[1].split("</tr>", 1)[0]
    assert "Demo Borough Council" in row
    # The download goes through the audited helper.
    assert officer.get(f"{url}/download").status_code == 200
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
        )


def test_the_officer_rejects_a_document_with_a_reason(app, world, area):
    document = world.document_row(area["northside"], "risk_assessment")
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    url = f"/la/evidence/{document}"
    empty = officer.submit(url, {"reject-reason": ""}, post_url=url + "/reject")
    assert empty.status_code == 200 and "Say why the document is rejected" in html(empty)
    response = officer.submit(url, {"reject-reason": "Does not cover the workshop"}, post_url=url + "/reject")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        assert row.status == DocumentStatus.REJECTED and row.reviewed_by_organisation_id == area["la"]


def test_the_child_protection_policy_is_each_schools_dsls_not_the_las(app, world, area):
    document = world.document_row(area["northside"], "safeguarding_policy")
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    url = f"/la/evidence/{document}"
    page = html(officer.get(url))
    assert "Verify document" not in page and "Reject document" not in page
    assert "designated safeguarding lead reviews this type of document" in page
    kind_checklist = ["Reviewed within the last 12 months"]
    verify = officer.submit(url, {"verify-checklist": kind_checklist}, post_url=url + "/verify")
    reject = officer.submit(url, {"reject-reason": "No"}, post_url=url + "/reject")
    assert verify.status_code == 200 and reject.status_code == 200
    assert "Only the Designated safeguarding lead" in html(verify)
    with app.app_context():
        assert db.session.get(EvidenceDocument, document).status == DocumentStatus.AWAITING_REVIEW


def test_another_las_providers_and_documents_are_a_404(app, world, area):
    farfield_document = world.document(area["farfield"], "behaviour_policy")
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    for url in (
        f"/la/evidence/{farfield_document}",
        f"/la/evidence/{farfield_document}/download",
        f"/la/directory/{area['farfield']}",
    ):
        assert officer.get(url).status_code == 404, url
    for url in (f"/la/evidence/{farfield_document}/verify", f"/la/evidence/{farfield_document}/reject"):
        assert officer.post(url, {"reject-reason": "No"}).status_code == 404, url
    assert officer.post(f"/la/directory/{area['farfield']}/visits/new", {"findings": "x"}).status_code == 404


# --- visits shared between the schools and the LA ---------------------------------------------------------------------


def _visit_form(visited: date, site_id, **extra) -> dict:
    return {
        "visited_on": [str(visited.day), str(visited.month), str(visited.year)],
        "site_id": str(site_id),
        "findings": extra.pop("findings"),
        **extra,
    }


def test_shared_visits_reach_the_other_schools_using_the_provider_and_the_la_unshared_ones_do_not(app, world, area):
    northside = area["northside"]
    world.works_with(area["elmwood"], northside)  # a school in another council uses Northside too
    with app.app_context():
        site = db.session.scalar(sa.select(ProviderSite.id).where(ProviderSite.organisation_id == northside))
    hillside = _signed_in(app, world, area["hillside"], ["ap_lead"])
    visited = date.today() - timedelta(days=2)
    form_page = html(hillside.get(f"/school/providers/{northside}/visits/new"))
    assert "Share with the other schools using this provider and the local authority" in form_page
    shared = hillside.submit(
        f"/school/providers/{northside}/visits/new",
        _visit_form(visited, site, findings="Well-organised workshop, good supervision.", shared="y"),
    )
    assert shared.status_code == 302
    private = hillside.submit(
        f"/school/providers/{northside}/visits/new",
        _visit_form(visited, site, findings="Our own notes on timetabling."),
    )
    assert private.status_code == 302
    with app.app_context():
        flags = sorted(v.shared for v in db.session.scalars(sa.select(SiteVisit)))
        assert flags == [False, True]

    # The LA records its own visit: always shared with its schools.
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    recorded = officer.submit(
        f"/la/directory/{northside}/visits/new",
        _visit_form(visited, site, findings="Meets the national standards for AP.", actions="Update the fire log."),
    )
    assert recorded.status_code == 302 and recorded.location.endswith(f"/la/directory/{northside}")
    with app.app_context():
        la_visit = db.session.scalar(sa.select(SiteVisit).where(SiteVisit.school_id == area["la"]))
        assert la_visit.shared and la_visit.pupils_seen == []

    la_page = html(officer.get(f"/la/directory/{northside}"))
    assert "Well-organised workshop" in la_page and "Meets the national standards" in la_page
    assert "Our own notes" not in la_page

    riverside = _signed_in(app, world, area["riverside"], ["dsl"])
    page = html(riverside.get(f"/school/providers/{northside}"))
    section = page.split("Visits shared by other schools and the LA", 1)[1]
    assert "Well-organised workshop" in section and "Hillside School" in section
    assert "Meets the national standards" in section and "Demo Borough Council" in section
    assert "Our own notes" not in page

    # Elmwood (another council) sees what Hillside shared with the schools using Northside, not Demo Borough's visit.
    elmwood = _signed_in(app, world, area["elmwood"], ["ap_lead"])
    page = html(elmwood.get(f"/school/providers/{northside}"))
    assert "Well-organised workshop" in page and "Meets the national standards" not in page

    # A visit is read on the recording organisation's pages only: the LA's, by its id, is a 404 on a school's.
    assert hillside.get(f"/school/visits/{la_visit.id}").status_code == 404
    hillside_visits = html(hillside.get("/school/visits"))
    assert "Meets the national standards" not in hillside_visits  # not counted as the school's own visit

    # Hillside's own visits stay on its own visits list, not among those shared with it.
    page = html(hillside.get(f"/school/providers/{northside}"))
    section = page.split("Visits shared by other schools and the LA", 1)[1]
    assert "Well-organised workshop" not in section and "Meets the national standards" in section


def test_a_shared_school_visit_from_another_council_does_not_reach_this_la(app, world, area):
    northside = area["northside"]
    world.works_with(area["elmwood"], northside)
    world.visit(northside, school_id=area["elmwood"], shared=True, findings="Elmwood's shared notes")
    with app.app_context():
        assert [v.findings for v in directory_visits(area["other_la"], northside)] == ["Elmwood's shared notes"]
        assert directory_visits(area["la"], northside) == []


def directory_visits(la_id, provider_id):
    from shared.services.placements import reviews

    return reviews.visits_seen_by_local_authority(la_id, provider_id)


def test_the_la_side_shows_no_safeguarding_content(app, world, area):
    """The LA's directory and provider pages carry no concern, notice or safeguarding file."""
    pupil = world.pupil(area["hillside"])
    placement = world.placement(area["hillside"], area["northside"], pupil)
    world.concern(placement)
    officer = _signed_in(app, world, area["la"], ["la_officer"])
    for url in ("/la/directory", f"/la/directory/{area['northside']}"):
        page = html(officer.get(url)).lower()
        assert "concern" not in page and "notice" not in page, url
    with app.app_context():
        assert db.session.get(Organisation, area["la"]).is_local_authority
