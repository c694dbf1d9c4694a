"""Tenancy, proven (issue 14): three schools (Hillside and Riverside in North Borough, Elmwood in South Borough), two
local authorities, a provider serving two schools (Northside: Hillside and Riverside, approved by both) and one
serving one (Southway: Elmwood), each with one of every kind of object a URL can name.

For every role on every side (school roles at Hillside, provider roles at Northside, the officer of North Borough):
- every route with an id in its URL (found in app.url_map and the access registry, as tests/test_access.py does)
  answers 404 for another school's, provider's or local authority's object, GET and POST, alone or mixed with ours;
- every page it may open (lists, exports in CSV and PDF, and pages about its own objects, also with another
  organisation's id in the query string) shows no name, UPN or text of an object it may not see;
- forms refuse, without effect, another organisation's id in a field that carries one (every such field found on
  the pages must have a FormCase);
- what other organisations do (more marks, incidents, concerns, notices, reviews, visits, breaches) changes nothing
  on our pages: counts and figures too, not only names;
- the JSON API token of a provider reaches its schools' pupils only, and concerns, incidents and notices tell the
  right organisation's people only.

A new URL argument needs an object in the world: test_every_url_argument_has_an_object_in_the_world names it.

The world is built once for the module (the tests read, send what must be refused, or add their own organisation's
records), so conftest's _clean is replaced by one cleaning at the module's end.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import logging
import re
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode

import freezegun
import pytest
from flask import url_for
from pypdf import PdfReader

from shared import national_standards
from shared.auth.access import PUBLIC, ROLES, SIGNED_IN
from shared.extensions import db
from shared.models import OrganisationKind, ProviderStatus
from shared.roles import LA_ROLES, PROVIDER_ROLES, PROVIDER_STAFF, SCHOOL_ROLES
from tests.support import database
from tests.support.client import Browser
from tests.support.world import World

NOW = "2026-12-02T10:00:00+00:00"  # a Wednesday in the autumn term, after every placement started
SCHOOL, PROVIDER, LA = OrganisationKind.SCHOOL, OrganisationKind.PROVIDER, OrganisationKind.LOCAL_AUTHORITY

# Who signs in where, which contexts (a school with its provider) are theirs and which are others'.
HOME = {SCHOOL: "school", PROVIDER: "provider_id", LA: "local_authority"}
USER_ARG = {SCHOOL: "school_user_id", PROVIDER: "provider_user_id", LA: "la_user_id"}
OWN = {SCHOOL: ["Hillside"], PROVIDER: ["Hillside", "Riverside"], LA: ["Hillside", "Riverside"]}
FOREIGN = {SCHOOL: ["Riverside", "Elmwood"], PROVIDER: ["Elmwood"], LA: ["Elmwood"]}

# Owners (see Tenancy.tokens) a side may see by design although they are not its own: none so far. (Were the local
# authority's provider directory to list providers of other areas, ("provider", "Southway") would go here for LA.)
SEEN_BY_DESIGN: dict[OrganisationKind, set[tuple[str, str]]] = {SCHOOL: set(), PROVIDER: set(), LA: set()}

# URL arguments that are not ids.
NOT_IDS = {"code", "flag_key"}

# Query-string arguments the views read ids from (request.args): each is tried with another organisation's id.
QUERY_IDS = {
    "pupil": "pupil_id",
    "provider": "provider_id",
    "mark": "mark_id",
    "school": "school",
    "placement": "placement_id",
}
DATES = {"from": "2026-09-01", "to": "2026-11-30"}


def _kind(role: str) -> OrganisationKind:
    if role in LA_ROLES:
        return LA
    return SCHOOL if role in SCHOOL_ROLES else PROVIDER


# --- the world ------------------------------------------------------------------------------------------------------


@dataclass
class Tenancy:
    """Contexts keyed by school name ("Hillside", "Riverside", "Elmwood"): each maps URL arguments to ids, as
    tests/test_access.py's _objects does. `tokens` maps each owner (("school", name), ("provider", name),
    ("la", name), ("safeguarding", name)) to recognisable strings only its viewers may see."""

    contexts: dict[str, dict]
    owners: dict[str, set]  # context -> the owners of its objects
    tokens: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def forbidden(self, side: OrganisationKind) -> dict[str, tuple[str, str]]:
        """Token -> its owner, for everything a person on `side` (at Hillside, Northside or North Borough) may not
        see. The local authority sees no safeguarding concern's or notice's content, even its own schools'."""
        own = set().union(*(self.owners[name] for name in OWN[side])) | SEEN_BY_DESIGN[side]
        if side == LA:
            own = {owner for owner in own if owner[0] != "safeguarding"}
        return {token: owner for owner, tokens in self.tokens.items() if owner not in own for token in tokens}


def _provider_objects(world: World, provider: uuid.UUID, name: str) -> dict:
    slug = name.lower()
    user = world.user(provider, [PROVIDER_STAFF], email=f"staff@{slug}-provider.example")
    document = world.document(provider, display_name=f"{name} behaviour policy.pdf")
    token_id, token = world.api_token(provider, name=f"{name} MIS token")
    asking_school = world.school(f"{name} Asking School")  # waiting for the provider's answer (issue 14)
    world.asks(asking_school, provider)
    return {
        "provider_id": provider,
        "asking_school_id": asking_school,
        "provider_user_id": user.id,
        "site_id": world.site(provider, name=f"{name} Workshop"),
        "member_id": world.staff_member(provider, name=f"{name[:5]}staff Tutor", right_to_work_checked=False),
        "flag_key": "no_right_to_work",
        "document_id": document,
        "evidence_file_id": world.evidence_file(document),
        "code": "behaviour_policy",
        "token_id": token_id,
        "api_token": token,  # not a URL argument: the provider's JSON API token
    }


def _school_objects(world: World, school: uuid.UUID, la: uuid.UUID, name: str, first_name: str) -> dict:
    slug = name.lower()
    user = world.user(school, ["sendco"], email=f"sendco@{slug}-school.example")
    la_user = world.user(la, [*LA_ROLES])
    # With an EHC plan, so the placement's EHC plan annual review pack (a PDF) answers and is read (issue 15).
    pupil = world.pupil(school, first_name=first_name, last_name=f"{name[:4]}pupil", send_status="ehcp")
    return {
        "local_authority": la,
        "local_authority_id": la,
        "la_user_id": la_user.id,
        "school": school,
        "school_id": school,
        "school_user_id": user.id,
        "pupil_id": pupil,
        "unplaced_pupil_id": world.pupil(school, first_name=first_name, last_name=f"{name[:4]}pupil", year_group="8"),
        "policy_id": world.school_policy(school),
    }


def _link_objects(app, world: World, school: uuid.UUID, provider: uuid.UUID, pupil: uuid.UUID, name: str) -> dict:
    placement = world.placement(school, provider, pupil)
    concern = world.concern(placement, what_happened=f"{name} concern text: came in hungry")
    agreement = world.agreement(provider, school_id=school, behaviour_expectations=f"{name} agreement terms")
    world.risk_assessment(placement, risk_text=f"{name} risk assessment text: county lines")
    return {
        "placement_id": placement,
        "mark_id": world.mark(placement),
        "incident_id": world.incident(placement, description=f"{name} incident text: threw a chair"),
        "review_id": world.review(placement, attendance_notes=f"{name} review notes"),
        "visit_id": world.visit(provider, school_id=school, findings=f"{name} visit findings: calm workshop"),
        "concern_id": concern,
        "file_id": world.safeguarding_file(concern),
        "notice_id": world.notice(
            placement,
            incident_details=f"{name} notice details: police called",
            provider_text=f"{name} notice text: be ready",
        ),
        "agreement_document_id": _agreement_document(app, world, agreement, f"{name} signed agreement.pdf"),
        "breach_id": _breach(app, school, provider, f"{name} breach summary"),
        "photo_id": (photo := world.progress_photo(placement, pupil_voice=f"{name} pupil voice: likes the workshop")),
        "report_id": _report_of(app, photo),  # the report, which its provider reads again
    }


def _report_of(app, photo_id: uuid.UUID) -> uuid.UUID:
    from shared.models import ProgressPhoto

    with app.app_context():
        return db.session.get(ProgressPhoto, photo_id).report_id


def _agreement_document(app, world: World, agreement_id: uuid.UUID, display_name: str) -> uuid.UUID:
    """A signed copy of this agreement (world.agreement_document takes the provider's newest agreement, whichever
    school's it is)."""
    from shared.models import AgreementDocument, ServiceAgreement
    from shared.storage import LocalStorage, new_key

    content = b"%PDF-1.7\n% the signed agreement\n"
    with app.app_context():
        agreement = db.session.get(ServiceAgreement, agreement_id)
        key = new_key(agreement.school_id)
        LocalStorage(app.config["UPLOAD_FOLDER"]).save(
            key, io.BytesIO(content), content_type="application/pdf", download_name=display_name
        )
        document = AgreementDocument(
            agreement_id=agreement.id,
            school_id=agreement.school_id,
            provider_id=agreement.provider_id,
            storage_key=key,
            display_name=display_name,
            content_type="application/pdf",
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            virus_scanned=True,
            uploaded_by_id=world._someone(agreement.school_id),
        )
        db.session.add(document)
        db.session.commit()
        return document.id


def _breach(
    app, school: uuid.UUID, provider: uuid.UUID, summary: str, period_start: date = date(2026, 11, 2)
) -> uuid.UUID:
    """An open breach of this school's agreement with the provider (world.breach takes the provider's first school)."""
    from shared.models import ComplianceBreach

    with app.app_context():
        breach = ComplianceBreach(
            school_id=school,
            provider_id=provider,
            term_key="attendance",
            period_start=period_start,
            period_end=date(2026, 12, 18),
            period_name="Autumn 2026, second half",
            percent=40.0,
            summary=summary,
        )
        db.session.add(breach)
        db.session.commit()
        return breach.id


def _upn(app, pupil: uuid.UUID) -> str:
    from shared.models import Pupil

    with app.app_context():
        return db.session.get(Pupil, pupil).upn


def build(app) -> Tenancy:
    world = World(app)
    north = world.local_authority("North Borough Council")
    south = world.local_authority("South Borough Council")
    hillside = world.school("Hillside School", local_authority_id=north, urn="100001")
    riverside = world.school("Riverside School", local_authority_id=north, urn="100002")
    elmwood = world.school("Elmwood School", local_authority_id=south, urn="100003")
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside, ProviderStatus.APPROVED)
    southway = world.provider(elmwood, "Southway Tuition", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    providers = {"Northside": _provider_objects(world, northside, "Northside")}
    providers["Southway"] = _provider_objects(world, southway, "Southway")

    layout = [  # school, its id, its LA, the LA's name, its provider, the pupil's first name
        ("Hillside", hillside, north, "North", "Northside", "Hollis"),
        ("Riverside", riverside, north, "North", "Northside", "Rowena"),
        ("Elmwood", elmwood, south, "South", "Southway", "Ellery"),
    ]
    tenancy = Tenancy(contexts={}, owners={})
    for name, school, la, la_name, provider_name, first_name in layout:
        objects = {**providers[provider_name], **_school_objects(world, school, la, name, first_name)}
        objects.update(_link_objects(app, world, school, objects["provider_id"], objects["pupil_id"], name))
        tenancy.contexts[name] = objects
        tenancy.owners[name] = {("school", name), ("provider", provider_name), ("la", la_name), ("safeguarding", name)}
        tenancy.tokens[("school", name)] = [
            f"{name} School",
            first_name,
            f"{name[:4]}pupil",
            _upn(app, objects["pupil_id"]),
            f"sendco@{name.lower()}-school.example",
            f"{name} incident text",
            f"{name} visit findings",
            f"{name} agreement terms",
            f"{name} review notes",
            f"{name} signed agreement.pdf",
            f"{name} breach summary",
        ]
        tenancy.tokens[("safeguarding", name)] = [
            f"{name} concern text",
            f"{name} notice details",
            f"{name} notice text",
        ]
        tenancy.tokens.setdefault(("la", la_name), [f"{la_name} Borough Council"])
        tenancy.tokens[("provider", provider_name)] = [
            {"Northside": "Northside Learning", "Southway": "Southway Tuition"}[provider_name],
            f"{provider_name} Workshop",
            f"{provider_name[:5]}staff",
            f"staff@{provider_name.lower()}-provider.example",
            f"{provider_name} MIS token",
            f"{provider_name} behaviour policy.pdf",
        ]
    return tenancy


def _clean_everything(app) -> None:
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    database.empty_tables(app)
    with app.app_context():
        app.extensions["sign_in_throttle"].reset()


@pytest.fixture(scope="module")
def tenancy(app):
    clock = freezegun.freeze_time(NOW, tick=True)
    clock.start()
    _clean_everything(app)  # whatever a test before this module left
    try:
        yield build(app)
    finally:
        clock.stop()
        _clean_everything(app)


@pytest.fixture(autouse=True)
def _clean(app):
    """Replaces conftest's: the module's world stays from test to test (tenancy cleans at the module's end); only
    the sign-in counters start afresh."""
    with app.app_context():
        app.extensions["sign_in_throttle"].reset()
    yield


# --- requests -------------------------------------------------------------------------------------------------------


class MissingObject(Exception):
    pass


def _value(objects: dict, name: str, side: OrganisationKind):
    if name == "user_id":
        name = USER_ARG[side]
    if name not in objects:
        raise MissingObject(name)
    return objects[name]


def _rules(app, side: OrganisationKind, role: str):
    """(rule, declaration) for every route a person with `role` on `side` may open (anyone signed in may open the
    account pages), the public and API ones left out."""
    registry = app.extensions["access"]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        declaration = registry[rule.endpoint]
        if declaration.audience == SIGNED_IN or (declaration.audience == ROLES and declaration.allows(side, {role})):
            yield rule, declaration


def _check_objects_cover(app, tenancy: Tenancy) -> None:
    """Every URL argument of a signed-in route has an object in the world: a new one fails here, by name."""
    missing = set()
    registry = app.extensions["access"]
    for rule in app.url_map.iter_rules():
        declaration = registry[rule.endpoint]
        if declaration.audience == PUBLIC or declaration.audience not in (ROLES, SIGNED_IN):
            continue
        side = declaration.side or SCHOOL
        for name in rule.arguments:
            try:
                _value(tenancy.contexts["Hillside"], name, side)
            except MissingObject:
                missing.add(f"<{name}> in {rule.rule} ({rule.endpoint})")
    assert not missing, (
        "URL arguments with no object in tests/test_tenancy.py's world (add one per school or provider in "
        "_school_objects, _provider_objects or _link_objects): " + "; ".join(sorted(missing))
    )


def _sign_in(app, tenancy: Tenancy, role: str) -> Browser:
    side = _kind(role)
    browser = Browser(app.test_client())
    home = tenancy.contexts[OWN[side][0]][HOME[side]]
    browser.sign_in(World(app).user(home, [role]))
    return browser


def _send(browser: Browser, method: str, url: str, token: str, data: dict | None = None):
    if method == "GET":
        return browser.client.get(url)
    return browser.client.post(url, data={**(data or {}), "csrf_token": token})


SIGNED_IN_ROLES = [*SCHOOL_ROLES, *PROVIDER_ROLES, *LA_ROLES]


def test_every_url_argument_has_an_object_in_the_world(app, tenancy):
    _check_objects_cover(app, tenancy)


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_other_organisations_ids_in_urls_are_a_404(role, app, tenancy):
    """Hillside's people, Northside's and North Borough's: every URL taking ids answers 404, GET and POST, when any
    of its ids is another organisation's (a sibling school's in the same LA, the other LA's school, the other
    provider), whether the others are ours or theirs. For Hillside, Riverside's placement, marks, concerns, visits,
    breaches and signed agreement with Northside (Hillside's own provider) are another school's."""
    _check_objects_cover(app, tenancy)
    side = _kind(role)
    own_values = {
        name: {_value(tenancy.contexts[c], name, side) for c in OWN[side]}
        for name in tenancy.contexts["Hillside"]
        if name not in NOT_IDS
    }
    own_values["user_id"] = {_value(tenancy.contexts[c], "user_id", side) for c in OWN[side]}
    browser = _sign_in(app, tenancy, role)
    token = browser.token()
    urls = []
    with app.test_request_context():
        for rule, _declaration in _rules(app, side, role):
            ids = sorted(set(rule.arguments) - NOT_IDS)
            if not ids:
                continue
            theirs = {}
            for name in ids:
                values = [_value(tenancy.contexts[c], name, side) for c in FOREIGN[side]]
                theirs[name] = list(dict.fromkeys(v for v in values if v not in own_values[name]))
            for base in OWN[side]:  # Northside's: mixed with Hillside's ids, then with Riverside's
                mine = {name: _value(tenancy.contexts[base], name, side) for name in rule.arguments}
                for picks in itertools.product(*[[mine[name], *theirs[name]] for name in ids]):
                    args = {**mine, **dict(zip(ids, picks, strict=True))}
                    if args == mine:
                        continue
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        urls.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    urls = list(dict.fromkeys(urls))
    failures = []
    for endpoint, method, url in sorted(urls, key=lambda e: ("deactivate" in e[0] or "remove" in e[0], e)):
        status = _send(browser, method, url, token).status_code
        if status != 404:
            failures.append(f"{method} {endpoint} ({url}) as {role}: got {status}, expected 404")
    assert not failures, f"{len(failures)} of {len(urls)} requests were not a 404:\n" + "\n".join(failures)


# --- what each page shows -------------------------------------------------------------------------------------------


def _body(response) -> str:
    """The text a person would read: a PDF report's text, else the body as it came."""
    data = response.get_data()
    if response.mimetype == "application/pdf":
        logging.getLogger("pypdf").setLevel(logging.ERROR)  # the stored test files are not whole PDFs
        try:
            reader = PdfReader(io.BytesIO(data))
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except Exception:  # a stored test file, not a report: its bytes are all there is
            return data.decode("latin-1")
    return data.decode("utf-8", errors="replace")


def _query_ids_read_by(app, endpoint: str) -> dict[str, str]:
    """The QUERY_IDS the endpoint's module reads from the query string (request.args.get("pupil"), or the portal's
    chosen_school_of_my_provider for "school")."""
    source = inspect.getsource(inspect.getmodule(inspect.unwrap(app.view_functions[endpoint])))
    if "request.args" not in source:
        return {}
    return {query: name for query, name in QUERY_IDS.items() if f'"{query}"' in source}


def _pages(app, tenancy: Tenancy, side: OrganisationKind, role: str) -> list[tuple[str, str, str]]:
    """(endpoint, url, kind) for every page the role may open: with each of its contexts' ids ("own"), and each also
    with each query-string id, ours ("own_query") and others' ("foreign_query")."""
    out = []
    with app.test_request_context():
        for rule, _declaration in _rules(app, side, role):
            if "GET" not in rule.methods:
                continue
            contexts = OWN[side] if set(rule.arguments) - NOT_IDS else OWN[side][:1]
            for context in contexts:
                args = {name: _value(tenancy.contexts[context], name, side) for name in rule.arguments}
                out.append((rule.endpoint, url_for(rule.endpoint, **args), "own"))
                for query, name in _query_ids_read_by(app, rule.endpoint).items():
                    for other_name, other in tenancy.contexts.items():
                        value = other[name]
                        if value != args.get(name):
                            kind = "own_query" if other_name in OWN[side] else "foreign_query"
                            out.append((rule.endpoint, url_for(rule.endpoint, **args, **{query: value}), kind))
    return list(dict.fromkeys(out))


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_pages_lists_and_exports_show_only_what_the_viewer_may_see(role, app, tenancy):
    """Every page the role may open (lists, CSV and PDF exports, the pages of its own pupils, placements and
    providers, and each with another organisation's id in the query string) names no pupil, UPN, school,
    provider, staff member, incident, visit or local authority of another organisation, and (for the local
    authority) no safeguarding concern's or notice's content. Our own pages open. Every form field on them that
    carries an id has a FormCase (test_forms_refuse_other_organisations_ids)."""
    _check_objects_cover(app, tenancy)
    side = _kind(role)
    forbidden = tenancy.forbidden(side)
    browser = _sign_in(app, tenancy, role)
    failures = []
    pages = _pages(app, tenancy, side, role)
    cases = list(_form_cases(tenancy).values())
    for endpoint, url, kind in pages:
        response = browser.client.get(url)
        status = response.status_code
        if status >= 500 or (kind == "own" and status not in (200, 302)):
            failures.append(f"GET {url} ({endpoint}) as {role}: {status}")
            continue
        bodies = [_body(response)] if status == 200 else []
        if bodies and kind != "foreign_query" and response.mimetype == "text/html":
            for path, name in _uncovered_id_fields(bodies[0], url, cases):
                failures.append(f"form field {name} of {path} (on {url}) carries an id and has no FormCase")
        if status == 302 or (bodies and 'name="from"' in bodies[0]):
            dated = browser.client.get(url + ("&" if "?" in url else "?") + urlencode(DATES))
            if dated.status_code >= 500:
                failures.append(f"GET {url} with dates ({endpoint}) as {role}: {dated.status_code}")
            elif dated.status_code == 200:
                bodies.append(_body(dated))
        for body in bodies:
            for token, owner in forbidden.items():
                if token in body:
                    failures.append(f"GET {url} ({endpoint}) as {role} shows {owner[0]} {owner[1]}'s {token!r}")
    assert not failures, f"{len(failures)} problems in {len(pages)} pages:\n" + "\n".join(failures)


# --- forms that carry ids -------------------------------------------------------------------------------------------

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A field named from an id: a whole one, or the first 12 hex digits of one (the attendance grids' cells).
NAME_ID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])"
)


class _Forms(HTMLParser):
    """The POST forms of a page: (action, [(field name, value)]) for every field, select option, radio and checkbox."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._open = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = True
            self.forms.append(((a.get("method") or "get").upper() + " " + (a.get("action") or ""), []))
        elif not self._open:
            return
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self.forms[-1][1].append((self._select, a.get("value") or ""))
        elif tag in ("input", "textarea", "button") and a.get("name"):
            self.forms[-1][1].append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = False
        elif tag == "select":
            self._select = None


def _id_fields(html: str, page_url: str) -> set[tuple[str, str]]:
    """(the form's path with ids as <id>, the field's name with ids as <id>) for every field of a POST form whose
    name or value is an id."""
    parser = _Forms()
    parser.feed(html)
    out = set()
    for action, fields in parser.forms:
        method, _, action = action.partition(" ")
        path = method + " " + UUID_RE.sub("<id>", (action or page_url).split("?")[0])
        for name, value in fields:
            if NAME_ID_RE.search(name) or UUID_RE.fullmatch(value):
                out.add((path, NAME_ID_RE.sub("<id>", name)))
    return out


# Tables that change when anyone does anything (signing in, the audit trail of a refusal): left out of "no effect".
VOLATILE = {"audit_events", "audit_chain_head", "user_sessions", "users"}


def _snapshot(app) -> dict[str, list[str]]:
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            if table.name not in VOLATILE:
                out[table.name] = sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
        db.session.remove()
    return out


@dataclass
class FormCase:
    """A form sent with another organisation's id in `field`: refused (404, or the form again with an error) and
    nothing changes. `control` is the same form with our own id instead, which goes through (so the refusal is the
    id's doing); None where the form cannot go through for other reasons."""

    role: str
    endpoint: str  # the form's (method, path) as _id_fields names it, with the field: what the case covers
    field: str
    url: str
    data: dict
    control: dict | None = None
    ignored: bool = False  # a field the form does not know is ignored: the form may go through, changing nothing


def _day(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def _form_cases(t: Tenancy) -> dict[str, FormCase]:
    h, r, e = (t.contexts[name] for name in ("Hillside", "Riverside", "Elmwood"))
    concern = {
        "occurred_on": _day(date(2026, 12, 1)),
        "occurred_time": "10:30",
        "location": "Workshop",
        "category": "neglect",
        "what_happened": "Came in without a coat again.",
        "actions_taken": "Gave a spare coat.",
        "who_told": "Our DSL",
    }
    incident = {
        "occurred_on": _day(date(2026, 12, 1)),
        "occurred_time": "11:00",
        "site_id": h["site_id"],
        "location": "Workshop",
        "placement_ids": [h["placement_id"]],
        "incident_type": "disruption",
        "severity": "low",
        "description": "Shouted across the room.",
        "actions_taken": "Spoke with a mentor.",
        "physical_intervention": "no",
        "injury": "no",
        "parents_informed": "yes",
        "suspension": "no",
    }
    notice = {
        "kind": "operation_encompass",
        "police_reference": "OE/2026/9999",
        "incident_on": _day(date(2026, 11, 29)),
        "incident_time": "21:00",
        "incident_place": "Home",
        "child_present": "yes",
        "provider_text": "Be ready for a tired day.",
        "provider_ids": [h["provider_id"]],
    }
    placement = {
        "provider": h["provider_id"],
        "sites": [h["site_id"]],
        "legal_basis": "school_arranged",
        "primary_reason": "risk_of_exclusion",
        "start_date": _day(date(2027, 1, 4)),
        "timetable": ["mon_am", "tue_am"],
        "hours_per_week": "6",
        "cost": "50",
        "cost_period": "session",
        "rationale": "Needs a smaller setting.",
        "intended_outcomes": "Back in class by Easter.",
        "review_arrangements": "Every six weeks.",
        "reintegration_criteria": "Attends 90% for a half-term.",
        "review_interval_weeks": "6",
        "consulted": ["sendco", "dsl", "parents"],
        "max_end_date": _day(date(2027, 3, 26)),
        "parents_notified_on": _day(date(2026, 12, 1)),
        "parents_notified_how": "Telephone",
    }
    visit = {
        "visited_on": _day(date(2026, 12, 1)),
        "site_id": h["site_id"],
        "placement_ids": [h["placement_id"]],
        "findings": "Calm.",
        "actions": "None.",
    }
    hillside_new_placement = f"/school/pupils/{h['unplaced_pupil_id']}/placements/new"
    notice_url = f"/school/notices/new?pupil={h['pupil_id']}"
    visit_url = f"/school/providers/{h['provider_id']}/visits/new"
    edit_url = f"/school/placements/{h['placement_id']}/edit"
    self_assessment = {}
    for code in national_standards.BY_CODE:
        self_assessment[f"judgement_{code}"] = "met"
        self_assessment[f"explanation_{code}"] = "Explained."
    cases = {
        "concern about another provider's pupil": FormCase(
            "provider_dsl",
            "POST /portal/concerns/new",
            "placement_id",
            "/portal/concerns/new",
            {**concern, "placement_id": e["placement_id"]},
            {**concern, "placement_id": h["placement_id"]},
        ),
        "incident about another provider's pupil": FormCase(
            "provider_staff",
            "POST /portal/incidents/new",
            "placement_ids",
            "/portal/incidents/new",
            {**incident, "placement_ids": [e["placement_id"]]},
            incident,
        ),
        "incident at another provider's site": FormCase(
            "provider_staff",
            "POST /portal/incidents/new",
            "site_id",
            "/portal/incidents/new",
            {**incident, "site_id": e["site_id"]},
            incident,
        ),
        "attendance today for another provider's pupil": FormCase(
            "provider_staff",
            "POST /portal/attendance",
            "m-<id>",
            "/portal/attendance",
            {f"m-{e['placement_id'].hex[:12]}-am-kind": "present"},
            ignored=True,
        ),
        "attendance week for another provider's pupil": FormCase(
            "provider_staff",
            "POST /portal/attendance/week",
            "c_<id>",
            "/portal/attendance/week?start=2026-11-30",
            {f"c_{e['placement_id'].hex[:12]}_20261130_am": "present"},
            ignored=True,
        ),
        "notice to another school's provider": FormCase(
            "dsl",
            "POST /school/notices/new",
            "provider_ids",
            notice_url,
            {**notice, "provider_ids": [e["provider_id"]]},
            notice,
        ),
        "notice about a sibling school's pupil at our provider": FormCase(
            "dsl",
            "POST /school/notices/new",
            "pupil",
            f"/school/notices/new?pupil={r['pupil_id']}",
            notice,
        ),
        "placement with another school's provider": FormCase(
            "ap_lead",
            "POST /school/pupils/<id>/placements/new",
            "provider",
            hillside_new_placement,
            {**placement, "provider": e["provider_id"], "sites": [e["site_id"]]},
            {**placement, "timetable": ["mon_am"]},
        ),
        "placement at another provider's site": FormCase(
            "ap_lead",
            "POST /school/pupils/<id>/placements/new",
            "sites",
            hillside_new_placement,
            {**placement, "sites": [e["site_id"]]},
            {**placement, "timetable": ["tue_am"]},
        ),
        "placement moved to another school's provider": FormCase(
            "ap_lead",
            f"POST {UUID_RE.sub('<id>', edit_url)}",
            "provider",
            edit_url,
            {**placement, "start_date": _day(date(2026, 9, 7)), "provider": e["provider_id"], "sites": [e["site_id"]]},
        ),
        "placement moved to another provider's site": FormCase(
            "ap_lead",
            f"POST {UUID_RE.sub('<id>', edit_url)}",
            "sites",
            edit_url,
            {**placement, "start_date": _day(date(2026, 9, 7)), "sites": [e["site_id"]]},
        ),
        "visit naming a sibling school's pupil at the same provider": FormCase(
            "ap_lead",
            "POST /school/providers/<id>/visits/new",
            "placement_ids",
            visit_url,
            {**visit, "placement_ids": [r["placement_id"]]},
            visit,
        ),
        "visit at another provider's site": FormCase(
            "ap_lead",
            "POST /school/providers/<id>/visits/new",
            "site_id",
            visit_url,
            {**visit, "site_id": e["site_id"]},
            visit,
        ),
        "local authority visit at another area's provider's site": FormCase(
            "la_officer",
            "POST /la/directory/<id>/visits/new",
            "site_id",
            f"/la/directory/{h['provider_id']}/visits/new",
            {"visited_on": _day(date(2026, 12, 1)), "site_id": e["site_id"], "findings": "Calm.", "actions": "None."},
            {"visited_on": _day(date(2026, 12, 1)), "site_id": h["site_id"], "findings": "Calm.", "actions": "None."},
        ),
        **{
            f"self-assessment linking another provider's evidence ({code})": FormCase(
                "provider_manager",
                "POST /portal/standards",
                f"evidence_{code}",
                "/portal/standards",
                {**self_assessment, f"evidence_{code}": [e["document_id"]]},
                {**self_assessment, f"evidence_{code}": [h["document_id"]]},
            )
            for code in national_standards.BY_CODE
        },
        "onboarding sent to a school the provider does not work with": FormCase(
            "provider_manager",
            "POST /portal/onboarding/submit",
            "school",
            "/portal/onboarding/submit",
            {"school": e["school"]},
        ),
    }
    return cases


def _case_names() -> list[str]:
    """The cases' names, for pytest's ids (made with placeholder ids)."""
    placeholder = {name: defaultdict(lambda: uuid.UUID(int=0)) for name in ("Hillside", "Riverside", "Elmwood")}
    return list(_form_cases(Tenancy(placeholder, {})))


@pytest.mark.parametrize("name", _case_names())
def test_forms_refuse_other_organisations_ids(name, app, tenancy):
    case = _form_cases(tenancy)[name]
    browser = _sign_in(app, tenancy, case.role)
    browser.get(case.url)
    token = browser.token()
    before = _snapshot(app)
    response = browser.client.post(case.url, data={**case.data, "csrf_token": token})
    after = _snapshot(app)
    changed = sorted(table for table in before if before[table] != after[table])
    assert not changed, f"{name}: {response.status_code}, and these tables changed: {changed}"
    body = response.get_data(as_text=True)
    refused = response.status_code in (400, 404) or (response.status_code == 200 and "govuk-error-summary" in body)
    assert refused or case.ignored, f"{name}: {response.status_code} {response.location} with no error shown"
    if case.control is not None:
        control = browser.client.post(case.url, data={**case.control, "csrf_token": token})
        assert control.status_code == 302, f"{name}: our own id was refused too:\n" + _errors(control)
        assert _snapshot(app) != after, f"{name}: our own id changed nothing"


def _errors(response) -> str:
    body = response.get_data(as_text=True)
    start = body.find("govuk-error-summary")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body[start : start + 3000])) if start >= 0 else body[:500]


def _uncovered_id_fields(html: str, url: str, cases: list[FormCase]) -> set[tuple[str, str]]:
    """The page's form fields carrying an id that no FormCase tries with another organisation's id (GET forms'
    fields are the page scan's query-string ids). A case's field ending in <id> covers every field named from that
    id (a grid's cells and their details)."""
    out = set()
    for path, name in _id_fields(html, url):
        if path.startswith("GET ") and name in QUERY_IDS:
            continue
        if not any(
            case.endpoint == path
            and (name == case.field or (case.field.endswith("<id>") and name.startswith(case.field)))
            for case in cases
        ):
            out.add((path, name))
    return out


# --- the JSON API ---------------------------------------------------------------------------------------------------


def test_a_providers_api_token_reaches_its_schools_pupils_and_no_others(app, tenancy):
    """Northside's token: the day's sessions of its pupils at Hillside and Riverside, none of Elmwood's (Southway's);
    a mark for Elmwood's pupil is an unknown placement and changes nothing."""
    h, r, e = (tenancy.contexts[name] for name in ("Hillside", "Riverside", "Elmwood"))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {h['api_token']}"}
    sessions = client.get("/api/v1/sessions?date=2026-12-02", headers=auth)
    assert sessions.status_code == 200
    assert {s["placement_id"] for s in sessions.json["sessions"]} == {str(h["placement_id"]), str(r["placement_id"])}
    forbidden = tenancy.forbidden(PROVIDER)
    for response in (sessions, client.get("/api/v1/marks?from=2026-11-09&to=2026-12-02", headers=auth)):
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and not [token for token in forbidden if token in body]
    before = _snapshot(app)
    item = {"placement_id": str(e["placement_id"]), "date": "2026-12-02", "session": "AM", "mark": "present"}
    refused = client.post("/api/v1/marks", json={"marks": [item]}, headers=auth)
    assert refused.status_code == 422 and refused.json["error"]["errors"][0]["field"] == "placement_id"
    assert _snapshot(app) == before


# --- what others do changes nothing we see --------------------------------------------------------------------------

_ACTIVITY_DAYS = itertools.count()
ACTIVITY_VIEWERS = ["headteacher", "ap_lead", "dsl", "attendance_lead", "provider_manager", "provider_dsl", *LA_ROLES]


def _normalised(body: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*>|value="[^"]*"|nonce="[^"]*"', "", body)


def _render(browser: Browser, urls: list[str]) -> dict[str, str]:
    out = {}
    for url in urls:
        response = browser.client.get(url)
        out[url] = f"{response.status_code} {response.location or ''} " + _normalised(_body(response))
    return out


def _activity(app, world: World, context: dict, name: str) -> None:
    """More of everything at one school: a mark, an incident, a concern, a notice, a review, a visit and a breach on
    its placement, and a new pupil placed at its provider."""
    placement = context["placement_id"]
    n = next(_ACTIVITY_DAYS)  # each run of the test adds its own
    world.mark(placement, day=date(2026, 10, 5) + timedelta(days=n), session="PM")
    world.incident(placement, description=f"{name} incident text: a second one")
    world.concern(placement, what_happened=f"{name} concern text: a second one")
    world.notice(placement, provider_text=f"{name} notice text: a second one")
    world.review(placement, due_on=date(2026, 11, 30), held_on=date(2026, 11, 30))
    world.visit(context["provider_id"], school_id=context["school"], findings=f"{name} visit findings: another")
    _breach(app, context["school"], context["provider_id"], f"{name} breach summary: another", date(2026, 9, 1 + n))


@pytest.mark.parametrize("role", ACTIVITY_VIEWERS)
def test_what_other_organisations_do_changes_nothing_on_our_pages(role, app, tenancy):
    """Counts and figures as well as names: every page the role may open at Hillside (Northside, North Borough)
    reads the same before and after more happens at another organisation: at Elmwood with Southway, and (for
    Hillside) at Riverside with Hillside's own provider, Northside. A page that changes on its own from one visit to
    the next (the safeguarding access log) is left out."""
    side = _kind(role)
    world = World(app)
    with freezegun.freeze_time("2026-12-02T10:05:00+00:00"):  # still: "just now" and "today" stay put
        browser = _sign_in(app, tenancy, role)
        urls = [url for _endpoint, url, kind in _pages(app, tenancy, side, role) if kind == "own"]
        first, second = _render(browser, urls), _render(browser, urls)
        steady = [url for url in urls if first[url] == second[url]]
        for name in FOREIGN[side]:
            _activity(app, world, tenancy.contexts[name], name)
        third = _render(browser, urls)  # all of them, in the same order: a message one page leaves shows on the next
    changed = [url for url in steady if second[url] != third[url]]
    assert not changed, f"pages that changed as {role} when other organisations did more: {changed}"


# --- messages go to the right organisation's people only ------------------------------------------------------------


def _recipients(app, seen: set) -> dict[str, set[uuid.UUID]]:
    """The organisations of the people each new e-mail and notification (since `seen`) goes to, by its subject or
    text; `seen` then holds them too."""
    from shared.models import Membership, Notification, OutboxEmail, User

    out: dict[str, set[uuid.UUID]] = {}
    with app.app_context():
        for email in db.session.scalars(db.select(OutboxEmail)):
            if email.id not in seen:
                seen.add(email.id)
                orgs = db.session.scalars(
                    db.select(Membership.organisation_id).join(User).where(User.email == email.to_address)
                )
                out.setdefault(f"e-mail {email.subject!r}", set()).update(orgs)
        for note in db.session.scalars(db.select(Notification)):
            if note.id not in seen:
                seen.add(note.id)
                out.setdefault(f"notification {note.text!r}", set()).add(note.organisation_id)
        db.session.remove()
    return out


def test_messages_about_a_pupil_go_to_its_school_and_provider_only(app, tenancy):
    """With DSLs, attendance leads and AP leads at every school and DSLs at both providers: Northside's concern and
    incident about Riverside's pupil tell Riverside's people (and Northside's), never Hillside's or Elmwood's;
    Hillside's notice tells Northside's DSLs, never Southway's or Riverside's."""
    h, r, e = (tenancy.contexts[name] for name in ("Hillside", "Riverside", "Elmwood"))
    world = World(app)
    for context in (h, r, e):
        world.user(context["school"], ["dsl", "attendance_lead", "ap_lead", "headteacher"])
        world.user(context["provider_id"], ["provider_dsl"])
    seen: set = set()
    _recipients(app, seen)
    provider_dsl = _sign_in(app, tenancy, "provider_dsl")
    cases = _form_cases(tenancy)
    concern = {**cases["concern about another provider's pupil"].control, "placement_id": r["placement_id"]}
    incident = {
        **cases["incident about another provider's pupil"].control,
        "placement_ids": [r["placement_id"]],
        "severity": "serious",
    }
    failures = []
    for what, browser, url, data, allowed in [
        ("concern", provider_dsl, "/portal/concerns/new", concern, {r["school"], h["provider_id"]}),
        ("incident", provider_dsl, "/portal/incidents/new", incident, {r["school"], h["provider_id"]}),
    ]:
        response = browser.submit(url, data)
        assert response.status_code == 302, f"{what}: {_errors(response)}"
        sent = _recipients(app, seen)
        assert sent, f"the {what} about Riverside's pupil told no one"
        failures += [f"{what}: {message} went to {orgs - allowed}" for message, orgs in sent.items() if orgs - allowed]
    dsl = _sign_in(app, tenancy, "dsl")
    notice = cases["notice to another school's provider"]
    response = dsl.submit(notice.url, notice.control)
    assert response.status_code == 302, _errors(response)
    sent = _recipients(app, seen)
    assert sent, "Hillside's notice told no one"
    allowed = {h["school"], h["provider_id"]}
    failures += [f"notice: {message} went to {orgs - allowed}" for message, orgs in sent.items() if orgs - allowed]
    assert not failures, "\n".join(failures)


# --- two of our own ids that do not belong together -----------------------------------------------------------------


@pytest.mark.parametrize("role", [*PROVIDER_ROLES, *LA_ROLES])
def test_our_own_ids_that_do_not_belong_together_are_a_404(role, app, tenancy):
    """Northside and North Borough see both Hillside's and Riverside's objects; a URL naming two of them that do not
    belong together (Hillside's concern with Riverside's concern's file) is a 404 too, not the one shown under the
    other."""
    _check_objects_cover(app, tenancy)
    side = _kind(role)
    first, second = (tenancy.contexts[name] for name in OWN[side])
    browser = _sign_in(app, tenancy, role)
    token = browser.token()
    urls = []
    with app.test_request_context():
        for rule, _declaration in _rules(app, side, role):
            ids = sorted(set(rule.arguments) - NOT_IDS)
            mine = {name: _value(first, name, side) for name in rule.arguments}
            # Only ids each school has its own of (a concern and its file): mixing those is a mismatch.
            differ = [name for name in ids if _value(second, name, side) != mine[name]]
            if len(differ) < 2:
                continue  # nothing to mix: an id both contexts share (the provider's own) goes with either
            for name in differ:
                args = {**mine, name: _value(second, name, side)}
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    urls.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    failures = []
    for endpoint, method, url in urls:
        status = _send(browser, method, url, token).status_code
        if status != 404:
            failures.append(f"{method} {endpoint} ({url}) as {role}: got {status}, expected 404")
    assert not failures, "\n".join(failures)


def test_an_attendance_file_naming_another_providers_pupil_is_refused_without_effect(app, tenancy):
    """The CSV upload carries pupil references (the first 8 hex digits of the placement's id): Elmwood's pupil
    (Southway's) is unknown to Northside and the file saves nothing; Riverside's, Northside's own, is saved."""
    from shared.services.attendance.batch import REF_LENGTH

    def upload(placement: uuid.UUID) -> dict:
        ref = placement.hex[:REF_LENGTH].upper()
        body = f"pupil_ref,date,session,mark\r\n{ref},2026-12-01,PM,present\r\n".encode()
        return {"file": (io.BytesIO(body), "marks.csv"), "submit": "y"}

    browser = _sign_in(app, tenancy, "provider_staff")
    browser.get("/portal/attendance/upload")
    token = browser.token()
    before = _snapshot(app)
    refused = browser.client.post(
        "/portal/attendance/upload", data={**upload(tenancy.contexts["Elmwood"]["placement_id"]), "csrf_token": token}
    )
    assert refused.status_code == 200 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert _snapshot(app) == before
    saved = browser.client.post(
        "/portal/attendance/upload",
        data={**upload(tenancy.contexts["Riverside"]["placement_id"]), "csrf_token": token},
    )
    assert saved.status_code == 302, _errors(saved)
    assert _snapshot(app) != before
