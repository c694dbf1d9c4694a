"""The local authority's directory of providers: every provider that works with at least one of the LA's schools
(a provider whose sites happen to be in the area but that none of its schools uses is not the LA's business),
searchable by area, type and what they offer, with how much of its required evidence is verified and in date, whose
verification that is (a school or the LA), and which of the LA's schools use it.

A fixed number of queries whatever the number of providers: the providers, their sites, their schools, their verified
evidence counted by verifier, and the verifiers' names, each in one query of plain values.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from shared.clock import today as school_today
from shared.evidence_catalogue import PROVIDER_TYPE_LABELS, ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    DocumentStatus,
    EvidenceDocument,
    Organisation,
    OrganisationKind,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    SchoolProvider,
)
from shared.services.accounts.directory import organisation_names

PROVIDER_TYPES = frozenset(kind.value for kind in ProviderType)
STATUS_LABELS = {
    ProviderStatus.INVITED: "Invited",
    ProviderStatus.ONBOARDING: "Onboarding",
    ProviderStatus.SUBMITTED: "Submitted for approval",
    ProviderStatus.APPROVED: "Approved",
    ProviderStatus.SUSPENDED: "Suspended",
}

# A postcode district (the outward code, "EX1" or "SW1A"), or a full postcode whose district is searched.
DISTRICT_RE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})?$")
MAX_WORDS = 6
PAGE_SIZE = 25
MAX_SEARCH = 100


@dataclass(frozen=True)
class Search:
    """The directory's search, as typed (a GET form): all optional."""

    area: str = ""
    provider_type: str = ""
    offer: str = ""
    page: int = 1

    @classmethod
    def of(cls, args: dict[str, str] | None) -> Search:
        args = args or {}
        kind = (args.get("type") or "").strip()
        page = (args.get("page") or "").strip()
        return cls(
            area=(args.get("area") or "").strip()[:MAX_SEARCH],
            provider_type=kind if kind in PROVIDER_TYPES else "",
            offer=(args.get("offer") or "").strip()[:MAX_SEARCH],
            page=min(int(page), 100_000) if page.isdigit() and int(page) > 0 else 1,
        )

    def args(self, page: int) -> dict[str, str | int]:
        """The query string of another page of the same search (what was searched, and the page)."""
        given = {"area": self.area, "type": self.provider_type, "offer": self.offer}
        return {**{name: value for name, value in given.items() if value}, "page": page}

    @property
    def given(self) -> bool:
        return bool(self.area or self.provider_type or self.offer)


@dataclass(frozen=True)
class SchoolUse:
    """One of the LA's schools using the provider, and where its relationship stands."""

    school_id: uuid.UUID
    school_name: str
    status: ProviderStatus

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.value)


@dataclass
class Verification:
    """How much of a provider's required evidence is verified and in date, and by whom."""

    required: int = 0
    verified: int = 0
    by: list[tuple[str, int]] = field(default_factory=list)  # verifier's name and how many items, most first

    @property
    def complete(self) -> bool:
        return self.required > 0 and self.verified == self.required


@dataclass
class Entry:
    """One provider of the directory: plain values read in a few queries (no ORM object per provider)."""

    provider_id: uuid.UUID
    name: str
    provider_type: str | None
    town: str | None  # its own address's
    sites: list[tuple[str, str]] = field(default_factory=list)  # each site's town and activities
    verification: Verification = field(default_factory=Verification)
    schools: list[SchoolUse] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        if not self.provider_type:
            return "Not given yet"
        try:
            return PROVIDER_TYPE_LABELS[ProviderType(self.provider_type)]
        except ValueError:
            return self.provider_type

    @property
    def places(self) -> list[str]:
        """Where it teaches (its sites' towns, or its own address's town when it lists no site), each once."""
        towns = [town for town, _ in self.sites] or ([self.town] if self.town else [])
        return list(dict.fromkeys(towns))

    @property
    def offers(self) -> list[str]:
        return [activities for _, activities in self.sites if activities]


def used_in_area(la_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """The ids of providers working with at least one of the LA's schools."""
    return (
        select(SchoolProvider.provider_id)
        .join(Organisation, Organisation.id == SchoolProvider.school_id)
        .where(Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id)
    )


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own % and _ taken literally (escape character \\)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _area_filter(area: str) -> ColumnElement[bool]:
    """Matches a provider with a site (or its own address) in the town, or in the postcode district."""
    compact = re.sub(r"\s+", "", area.upper())
    district = DISTRICT_RE.match(compact)
    town = area.lower()
    conditions_site = [func.lower(ProviderSite.town).like(_like(town), escape="\\")]
    conditions_own = [func.lower(ProviderProfile.town).like(_like(town), escape="\\")]
    if district:
        prefix = district.group(1) + " %"  # postcodes are stored "EX1 1AA"
        conditions_site.append(ProviderSite.postcode.like(prefix))
        conditions_own.append(ProviderProfile.postcode.like(prefix))
    site_there = exists().where(ProviderSite.organisation_id == ProviderProfile.organisation_id, or_(*conditions_site))
    return or_(site_there, *conditions_own)


def _offer_filter(offer: str) -> ColumnElement[bool]:
    """Every word of `offer` is in the activities of one of its sites (any site for each word)."""
    words = [w for w in re.findall(r"[\w'-]+", offer.lower()) if len(w) >= 2][:MAX_WORDS]
    return and_(
        *(
            exists().where(
                ProviderSite.organisation_id == ProviderProfile.organisation_id,
                func.lower(ProviderSite.activities).like(_like(word), escape="\\"),
            )
            for word in words
        )
    )


@dataclass
class Page:
    """One page of the directory: PAGE_SIZE providers at most, so a page costs the same however many there are."""

    entries: list[Entry]
    total: int  # how many providers match
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.size + 1 if self.entries else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.size + len(self.entries)


def _entries(
    la_id: uuid.UUID, search: Search, provider_id: uuid.UUID | None = None, *, page: int | None = None
) -> tuple[dict[uuid.UUID, Entry], int, int]:
    """The providers in the area matching the search, by name: those of one page (all without `page`), how many
    match in all, and the page's number (the last page when `page` is past it). Two queries."""
    query = (
        select(Organisation.id, Organisation.name, ProviderProfile.provider_type, ProviderProfile.town)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(Organisation.id.in_(used_in_area(la_id)))
    )
    if provider_id is not None:
        query = query.where(Organisation.id == provider_id)
    if search.provider_type:
        query = query.where(ProviderProfile.provider_type == search.provider_type)
    if search.area:
        query = query.where(_area_filter(search.area))
    if search.offer:
        query = query.where(_offer_filter(search.offer))
    total = 0
    if page is not None:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = max(1, min(page, -(-total // PAGE_SIZE)))
        query = query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    rows = db.session.execute(query.order_by(func.lower(Organisation.name), Organisation.id)).tuples()
    entries = {org_id: Entry(org_id, name, kind, town) for org_id, name, kind, town in rows}
    return entries, total if page is not None else len(entries), page or 1


def _add_sites(entries: dict[uuid.UUID, Entry]) -> None:
    query = (
        select(ProviderSite.organisation_id, ProviderSite.town, ProviderSite.activities)
        .where(ProviderSite.organisation_id.in_(list(entries)))
        .order_by(ProviderSite.created_at, ProviderSite.id)
    )
    for provider_id, town, activities in db.session.execute(query).tuples():
        if provider_id in entries:
            entries[provider_id].sites.append((town, activities))


def _add_schools(la_id: uuid.UUID, entries: dict[uuid.UUID, Entry]) -> None:
    """The LA's schools using each provider, by school name (never another LA's school)."""
    query = (
        select(SchoolProvider.provider_id, Organisation.id, Organisation.name, SchoolProvider.status)
        .join(Organisation, Organisation.id == SchoolProvider.school_id)
        .where(
            Organisation.kind == OrganisationKind.SCHOOL,
            Organisation.local_authority_id == la_id,
            SchoolProvider.provider_id.in_(list(entries)),
        )
        .order_by(func.lower(Organisation.name))
    )
    for provider_id, school_id, name, status in db.session.execute(query).tuples():
        if provider_id in entries:
            entries[provider_id].schools.append(SchoolUse(school_id, name, status))


def _required_for_its_type() -> ColumnElement[bool]:
    """The document's type is one its provider's type requires (shared.evidence_catalogue, as SQL)."""
    return or_(
        *(
            and_(
                ProviderProfile.provider_type == kind.value,
                EvidenceDocument.evidence_type.in_([item.code for item in required_evidence(kind)]),
            )
            for kind in ProviderType
        )
    )


def _add_verification(entries: dict[uuid.UUID, Entry], today: date) -> None:
    """Each provider's required items verified and in date, counted by verifier in SQL (a row per provider and
    verifier, not per document). A verified version past its date counts as lapsed even before the daily job marks it
    expired. Uploading a version supersedes the earlier ones, so a verified version is its type's current one."""
    query = (
        select(
            EvidenceDocument.organisation_id,
            EvidenceDocument.reviewed_by_organisation_id,
            func.count(func.distinct(EvidenceDocument.evidence_type)),
        )
        .join(ProviderProfile, ProviderProfile.organisation_id == EvidenceDocument.organisation_id)
        .where(
            EvidenceDocument.organisation_id.in_(list(entries)),
            EvidenceDocument.status == DocumentStatus.VERIFIED,
            or_(EvidenceDocument.expiry_date.is_(None), EvidenceDocument.expiry_date > today),
            _required_for_its_type(),
        )
        .group_by(EvidenceDocument.organisation_id, EvidenceDocument.reviewed_by_organisation_id)
    )
    tallies: dict[uuid.UUID, list[tuple[uuid.UUID | None, int]]] = defaultdict(list)
    for provider_id, reviewer_id, count in db.session.execute(query).tuples():
        tallies[provider_id].append((reviewer_id, count))
    names = organisation_names({reviewer for rows in tallies.values() for reviewer, _ in rows if reviewer})
    for provider_id, entry in entries.items():
        kind = ProviderType(entry.provider_type) if entry.provider_type in PROVIDER_TYPES else None
        required = len(required_evidence(kind))
        by = sorted(
            ((names.get(who, "Not recorded") if who else "Not recorded", n) for who, n in tallies[provider_id]),
            key=lambda pair: (-pair[1], pair[0]),
        )
        entry.verification = Verification(required=required, verified=min(required, sum(n for _, n in by)), by=by)


def _complete(la_id: uuid.UUID, entries: dict[uuid.UUID, Entry], today: date) -> None:
    if entries:
        _add_sites(entries)
        _add_schools(la_id, entries)
        _add_verification(entries, today)


def directory(la_id: uuid.UUID, search: Search | None = None, *, today: date | None = None) -> Page:
    """One page of the providers the LA's schools use that match the search, by name, with their sites,
    verification and the LA's schools using each. Six queries whatever the number of providers."""
    search = search or Search()
    entries, total, number = _entries(la_id, search, page=search.page)
    _complete(la_id, entries, today or school_today())
    return Page(list(entries.values()), total, number)


def entry(la_id: uuid.UUID, provider_id: uuid.UUID, *, today: date | None = None) -> Entry | None:
    """One provider of the directory, or None when none of the LA's schools uses it (like one that does not exist)."""
    entries, _, _ = _entries(la_id, Search(), provider_id=provider_id)
    _complete(la_id, entries, today or school_today())
    return entries.get(provider_id)


def type_choices() -> dict[str, str]:
    return {kind.value: label for kind, label in PROVIDER_TYPE_LABELS.items()}
