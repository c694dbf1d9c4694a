"""Access control, held to the views' own declarations (`@access(...)`, gathered in the app's registry by
shared.auth.access.register_access): every route declares who may open it, the role x endpoint matrix holds on
both sides, and another school's or provider's object is a 404 to everyone who may open the page."""

import itertools
import uuid

import pytest
from flask import url_for

from shared.auth.access import API_TOKEN, PUBLIC, ROLES, SIGNED_IN, Declaration
from shared.extensions import db
from shared.models import OrganisationKind
from shared.roles import LA_ROLES, PROVIDER_MANAGER, PROVIDER_ROLES, PROVIDER_STAFF, SCHOOL_ADMIN, SCHOOL_ROLES
from tests.support.client import Browser

ROLES_TO_TRY = [*SCHOOL_ROLES, *PROVIDER_ROLES, *LA_ROLES, None]  # None: not signed in


def _kind(role: str) -> OrganisationKind:
    if role in LA_ROLES:
        return OrganisationKind.LOCAL_AUTHORITY
    return OrganisationKind.SCHOOL if role in SCHOOL_ROLES else OrganisationKind.PROVIDER


# Which of _objects' organisations a person on each side belongs to.
HOME_ORGANISATION = {
    OrganisationKind.SCHOOL: "school",
    OrganisationKind.PROVIDER: "provider_id",
    OrganisationKind.LOCAL_AUTHORITY: "local_authority",
}


def test_every_route_declares_who_may_open_it(app):
    registry = app.extensions["access"]
    undeclared = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(registry))
    assert not undeclared, f"routes with no @access(...) declaration: {undeclared}"
    stale = sorted(set(registry) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert not stale, f"declarations of endpoints with no route: {stale}"


def test_declarations_follow_the_blueprints(app):
    """A side's views declare roles of that side; sign-in and account pages are public or for anyone signed in; the
    JSON API is for API tokens (its OpenAPI document public); the health check is public (static files never reach
    Flask: shared.assets serves them)."""
    for endpoint, declaration in app.extensions["access"].items():
        blueprint = endpoint.rpartition(".")[0]
        if blueprint == "school_admin":
            assert declaration.side == OrganisationKind.SCHOOL and declaration.roles <= set(SCHOOL_ROLES), endpoint
        elif blueprint == "portal":
            assert declaration.side == OrganisationKind.PROVIDER and declaration.roles <= set(PROVIDER_ROLES), endpoint
        elif blueprint == "local_authority":
            assert declaration.side == OrganisationKind.LOCAL_AUTHORITY and declaration.roles <= set(LA_ROLES), endpoint
        elif blueprint == "auth":
            assert declaration.audience in (PUBLIC, SIGNED_IN), endpoint
        elif blueprint == "api":
            assert declaration.audience == (PUBLIC if endpoint == "api.openapi" else API_TOKEN), endpoint
        else:
            assert endpoint == "healthz" and declaration.audience == PUBLIC, endpoint
        assert declaration.audience == ROLES or not declaration.hidden, endpoint


def test_the_decorator_refuses_what_it_cannot_enforce():
    from shared.auth.access import access

    with pytest.raises(TypeError):
        access()
    with pytest.raises(TypeError):
        access(PUBLIC, roles={SCHOOL_ADMIN})
    with pytest.raises(ValueError):
        access(roles=set())
    with pytest.raises(ValueError):
        access(SIGNED_IN, hidden=True)
    with pytest.raises(TypeError, match="twice"):
        access(PUBLIC)(access(PUBLIC)(lambda: None))


# --- the role x endpoint matrix -----------------------------------------------------------------------------------


def _objects(world, name: str) -> dict:
    """A local authority with a school with a provider, and one of every kind of object a URL can name, keyed by the
    URL argument."""
    local_authority = world.local_authority(f"{name} Borough Council")
    school = world.school(f"{name} School", local_authority_id=local_authority)
    provider = world.provider(school, f"{name} Provider", provider_type="unregistered_ap")
    pupil = world.pupil(school, send_status="ehcp")  # so the EHC plan annual review pack answers (issue 15)
    placement = world.placement(school, provider, pupil)
    concern = world.concern(placement)
    world.risk_assessment(placement)  # written, so the provider DSL's risk assessment pages answer
    token_id, _ = world.api_token(provider)
    document = world.document(provider)  # with its object stored, so downloads answer 200
    asking_school = world.school(f"{name} Asking School", local_authority_id=local_authority)
    world.asks(asking_school, provider)  # a school waiting for the provider's answer (issue 14)
    return {
        "local_authority": local_authority,
        "school": school,
        "asking_school_id": asking_school,
        "school_user_id": world.user(school, ["sendco"]).id,
        "provider_user_id": world.user(provider, [PROVIDER_STAFF]).id,
        "site_id": world.site(provider),
        "member_id": world.staff_member(provider, right_to_work_checked=False),  # flagged (issue 13)
        "flag_key": "no_right_to_work",
        "provider_id": provider,
        "document_id": document,
        "evidence_file_id": world.evidence_file(document),  # the document's second file
        "code": "behaviour_policy",
        "pupil_id": pupil,
        "placement_id": placement,
        "mark_id": world.mark(placement),
        "incident_id": world.incident(placement),
        "token_id": token_id,
        "review_id": world.review(placement),
        "visit_id": world.visit(provider),
        "concern_id": concern,
        "notice_id": world.notice(placement),
        "policy_id": world.school_policy(school),
        "file_id": world.safeguarding_file(concern),
        "agreement_document_id": world.agreement_document(provider),  # the provider's agreement and its signed copy
        "breach_id": world.breach(provider),
        "photo_id": (photo := world.progress_photo(placement)),  # a half-term report's photo of work (issue 15)
        "report_id": _report_of(world, photo),  # the report, which its provider reads again
    }


def _report_of(world, photo_id) -> uuid.UUID:
    from shared.models import ProgressPhoto

    with world.app.app_context():
        return db.session.get(ProgressPhoto, photo_id).report_id


def _args(rule, objects: dict, side: OrganisationKind | None) -> dict:
    user = objects["school_user_id" if side == OrganisationKind.SCHOOL else "provider_user_id"]
    return {name: user if name == "user_id" else objects[name] for name in rule.arguments}


def _requests(app, objects: dict, side: OrganisationKind | None):
    """(declaration, method, url) for every endpoint a signed-in person may be refused, with ids from `objects`."""
    registry = app.extensions["access"]
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            declaration = registry[rule.endpoint]
            # Public pages need no sign-in; the JSON API is authenticated by provider API tokens, not by the
            # signed-in roles (tests/test_api.py holds it to that).
            if declaration.audience in (PUBLIC, API_TOKEN) or rule.endpoint == "auth.sign_out":
                continue
            url = url_for(rule.endpoint, **_args(rule, objects, side))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((declaration, method, url))
    # Deactivation last: it changes the target account.
    return sorted(out, key=lambda e: ("deactivate" in e[0].endpoint or "remove" in e[0].endpoint, e[0].endpoint, e[1]))


def _expected(declaration: Declaration, role: str | None) -> str:
    if role is None:
        return "sign_in"
    if declaration.allows(_kind(role), {role}):
        return "ok"
    if declaration.audience == ROLES and declaration.side == _kind(role) and declaration.hidden:
        return "not_found"  # others on that side must not learn the page exists (safeguarding notices)
    return "forbidden"


def _send(browser: Browser, method: str, url: str, token: str):
    if method == "GET":
        return browser.client.get(url)
    return browser.client.post(url, data={"csrf_token": token})


@pytest.mark.parametrize("role", ROLES_TO_TRY, ids=[r or "anonymous" for r in ROLES_TO_TRY])
def test_role_endpoint_matrix(role, world, app):
    objects = _objects(world, "First")
    browser = Browser(app.test_client())
    side = None
    if role is not None:
        side = _kind(role)
        browser.sign_in(world.user(objects[HOME_ORGANISATION[side]], [role]))
    token = browser.token()
    failures = []
    for declaration, method, url in _requests(app, objects, side):
        response = _send(browser, method, url, token)
        expected = _expected(declaration, role)
        status = response.status_code
        if expected == "sign_in":
            ok = (method == "GET" and status == 302 and "/sign-in" in response.location) or (
                method == "POST" and status == 401
            )
        elif expected == "forbidden":
            ok = status == 403
        elif expected == "not_found":
            ok = status == 404
        else:
            ok = status in (200, 302) and "/sign-in" not in (response.location or "")
        if not ok:
            who = role or "anonymous"
            failures.append(f"{method} {declaration.endpoint} as {who}: got {status}, expected {expected}")
    assert not failures, "\n".join(failures)


# --- another school's and another provider's objects --------------------------------------------------------------


SIGNED_IN_ROLES = [*SCHOOL_ROLES, *PROVIDER_ROLES, *LA_ROLES]


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_another_schools_and_providers_objects_are_a_404(role, world, app):
    """Signed in at the first school (or its provider) with a role that may open the page, every URL that takes an
    id answers 404 for the second school's or provider's object, GET and POST alike; where a URL takes two ids,
    also with one of ours and one of theirs."""
    ours, theirs = _objects(world, "First"), _objects(world, "Second")
    side = _kind(role)
    browser = Browser(app.test_client())
    browser.sign_in(world.user(ours[HOME_ORGANISATION[side]], [role]))
    token = browser.token()
    registry = app.extensions["access"]
    failures = []
    with app.test_request_context():
        urls = []
        for rule in app.url_map.iter_rules():
            declaration = registry[rule.endpoint]
            ids = sorted(set(rule.arguments) - {"code", "flag_key"})
            if not ids or declaration.audience != ROLES or not declaration.allows(side, {role}):
                continue
            own, foreign = _args(rule, ours, side), _args(rule, theirs, side)
            # Every mix with at least one foreign id: all theirs, and (for two ids) each one theirs alone.
            for picks in itertools.product((False, True), repeat=len(ids)):
                if any(picks):
                    args = {**own, **{name: foreign[name] for name, pick in zip(ids, picks, strict=True) if pick}}
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        urls.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    for endpoint, method, url in sorted(urls, key=lambda e: ("deactivate" in e[0] or "remove" in e[0], e)):
        status = _send(browser, method, url, token).status_code
        if status != 404:
            failures.append(f"{method} {endpoint} ({url}) as {role}: got {status}, expected 404")
    assert not failures, "\n".join(failures)


# --- a few cases spelled out --------------------------------------------------------------------------------------


def test_provider_cannot_see_another_providers_users(world, app):
    school = world.school()
    provider_a = world.provider(school, "Provider A")
    provider_b = world.provider(school, "Provider B")
    manager_a = world.user(provider_a, [PROVIDER_MANAGER])
    staff_b = world.user(provider_b, [PROVIDER_STAFF])
    staff_a = world.user(provider_a, [PROVIDER_STAFF])
    browser = Browser(app.test_client())
    browser.sign_in(manager_a)
    assert browser.get(f"/portal/users/{staff_a.id}").status_code == 200
    assert browser.get(f"/portal/users/{staff_b.id}").status_code == 404
    assert browser.post(f"/portal/users/{staff_b.id}/deactivate").status_code == 404
    assert staff_b.email not in browser.get("/portal/users").get_data(as_text=True)
    # B's staff can still sign in: nothing happened to them.
    other = Browser(app.test_client())
    assert other.sign_in(staff_b).status_code == 302


def test_school_admin_cannot_reach_other_organisations_people(world, app):
    school = world.school("School One")
    other_school = world.school("School Two")
    provider = world.provider(school)
    admin = world.user(school, [SCHOOL_ADMIN])
    stranger = world.user(other_school, ["dsl"])
    provider_user = world.user(provider, [PROVIDER_STAFF])
    browser = Browser(app.test_client())
    browser.sign_in(admin)
    for person in (stranger, provider_user):
        assert browser.get(f"/school/staff/{person.id}/roles").status_code == 404
        assert browser.post(f"/school/staff/{person.id}/deactivate").status_code == 404
        assert browser.post(f"/school/staff/{person.id}/roles", {"roles": ["dsl"]}).status_code == 404


def test_school_providers_list_shows_only_own_schools_providers(world, app):
    school = world.school("School One")
    other_school = world.school("School Two")
    world.provider(school, "Ours Learning")
    world.provider(other_school, "Theirs Tuition")
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["ap_lead"]))
    page = browser.get("/school/providers").get_data(as_text=True)
    assert "Ours Learning" in page and "Theirs Tuition" not in page


def test_a_made_up_id_is_a_404_in_the_side_look(world, app):
    school = world.school()
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, [SCHOOL_ADMIN]))
    response = browser.get(f"/school/staff/{uuid.uuid4()}/roles")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "School admin" in page
    assert browser.get("/school/staff/not-a-uuid/roles").status_code == 404


def test_a_local_authority_officer_reaches_only_the_providers_its_schools_use(world, app):
    """The LA directory's URL ids (provider_id, document_id, evidence_file_id): a provider none of the LA's schools
    uses is a 404 with all its documents, even when another LA's school uses it, and a school's unshared visit
    never shows."""
    ours, theirs = _objects(world, "First"), _objects(world, "Second")
    browser = Browser(app.test_client())
    browser.sign_in(world.user(ours["local_authority"], ["la_officer"]))
    provider, document, extra = ours["provider_id"], ours["document_id"], ours["evidence_file_id"]
    assert browser.get(f"/la/directory/{provider}").status_code == 200
    assert browser.get(f"/la/evidence/{document}").status_code == 200
    assert browser.get(f"/la/evidence/{document}/files/{extra}/download").status_code == 200
    foreign = theirs["provider_id"]
    for url in (
        f"/la/directory/{foreign}",
        f"/la/directory/{foreign}/visits/new",
        f"/la/evidence/{theirs['document_id']}",
        f"/la/evidence/{theirs['document_id']}/download",
        f"/la/evidence/{document}/files/{theirs['evidence_file_id']}/download",
        f"/la/evidence/{theirs['document_id']}/files/{theirs['evidence_file_id']}/download",
    ):
        assert browser.get(url).status_code == 404, url
    for url in (f"/la/evidence/{theirs['document_id']}/verify", f"/la/evidence/{theirs['document_id']}/reject"):
        assert browser.post(url, {"reject-reason": "No"}).status_code == 404, url
    page = browser.get("/la/directory").get_data(as_text=True)
    assert "First Provider" in page and "Second Provider" not in page and "Second School" not in page
    # The First school's own visit (not shared) is not on the LA's page of the provider.
    assert "Calm, well-supervised workshop." not in browser.get(f"/la/directory/{provider}").get_data(as_text=True)
