"""Access control: every endpoint is in the access table, and the role x endpoint matrix holds on both sides.
Another organisation's object is a 404."""

import pytest

from shared.roles import PROVIDER_MANAGER, PROVIDER_ROLES, PROVIDER_STAFF, SCHOOL_ADMIN, SCHOOL_ROLES
from tests.access_table import ACCESS, PUBLIC, SIGNED_IN
from tests.support.client import Browser

API_TOKEN = "api_token"  # the marker tests/access_table.py gives token-authenticated API endpoints

ROLES = [*SCHOOL_ROLES, *PROVIDER_ROLES, None]  # None: not signed in


def test_every_endpoint_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ACCESS))
    assert not missing, f"endpoints with no row in tests/access_table.py: {missing}"
    stale = sorted(set(ACCESS) - endpoints)
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


def _urls(app, values):
    """(endpoint, method, url) for every protected endpoint, with ids from `values`."""
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            # Public pages need no sign-in; the JSON API is authenticated by provider API tokens, not by the
            # signed-in roles (tests/test_api.py holds it to that).
            if ACCESS[rule.endpoint] in (PUBLIC, API_TOKEN) or rule.endpoint == "auth.sign_out":
                continue
            args = {name: values[name] for name in rule.arguments}
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url))
    # Deactivation last: it changes the target account.
    return sorted(out, key=lambda e: ("deactivate" in e[0] or "remove" in e[0], e[0], e[1]))


def _expected(endpoint: str, method: str, role: str | None) -> str:
    rule = ACCESS[endpoint]
    if role is None:
        return "sign_in"
    if rule == SIGNED_IN:
        return "ok"
    side, allowed, *hidden = rule
    role_side = "school" if role in SCHOOL_ROLES else "portal"
    if role_side != side:
        return "forbidden"
    if role not in allowed:
        # ("portal", roles, HIDDEN): others on that side must not learn the page exists (safeguarding notices).
        return "not_found" if hidden else "forbidden"
    return "ok"


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_role_endpoint_matrix(role, world, app):
    school = world.school()
    provider = world.provider(school, provider_type="unregistered_ap")
    school_target = world.user(school, ["sendco"])
    provider_target = world.user(provider, [PROVIDER_STAFF])
    site = world.site(provider)
    member = world.staff_member(provider)
    document = world.document(provider)  # with its object stored, so downloads answer 200
    pupil = world.pupil(school)
    placement = world.placement(school, provider, pupil)
    incident = world.incident(placement)
    token_id, _ = world.api_token(provider)
    review = world.review(placement)
    visit = world.visit(provider)
    concern = world.concern(placement)
    notice = world.notice(placement)
    policy = world.school_policy(school)
    sg_file = world.safeguarding_file(concern)
    agreement_document = world.agreement_document(provider)  # the provider's agreement and its signed copy
    breach = world.breach(provider)
    browser = Browser(app.test_client())
    if role is not None:
        org = school if role in SCHOOL_ROLES else provider
        browser.sign_in(world.user(org, [role]))
    token = browser.token()
    target = school_target if (role in SCHOOL_ROLES) else provider_target
    failures = []
    for endpoint, method, url in _urls(
        app,
        {
            "user_id": target.id,
            "site_id": site,
            "member_id": member,
            "provider_id": provider,
            "document_id": document,
            "code": "behaviour_policy",
            "pupil_id": pupil,
            "placement_id": placement,
            "incident_id": incident,
            "token_id": token_id,
            "review_id": review,
            "visit_id": visit,
            "concern_id": concern,
            "notice_id": notice,
            "policy_id": policy,
            "file_id": sg_file,
            "agreement_document_id": agreement_document,
            "breach_id": breach,
        },
    ):
        if endpoint.startswith("school_admin.") and role in PROVIDER_ROLES:
            url = url.replace(str(provider_target.id), str(school_target.id))
        if method == "GET":
            response = browser.client.get(url)
        else:
            response = browser.client.post(url, data={"csrf_token": token})
        expected = _expected(endpoint, method, role)
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
            failures.append(f"{method} {endpoint} as {role or 'anonymous'}: got {status}, expected {expected}")
    assert not failures, "\n".join(failures)


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
    import uuid

    school = world.school()
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, [SCHOOL_ADMIN]))
    response = browser.get(f"/school/staff/{uuid.uuid4()}/roles")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "School admin" in page
    assert browser.get("/school/staff/not-a-uuid/roles").status_code == 404
