"""The local authority's directory of providers: every provider that works with at least one of the LA's schools
(a provider whose sites happen to be in the area but that none of its schools uses is not the LA's business),
searchable by area, type and what they offer, with how much of its required evidence is verified and in date, whose
verification that is (a school or the LA), and which of the LA's schools use it.

A fixed number of queries whatever the number of providers: the providers with their sites, their schools, their
current evidence and the verifiers' names, each in one query.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

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
MAX_SEARCH = 100


@dataclass(frozen=True)
class Search:
    """The directory's search, as typed (a GET form): all optional."""

    area: str = ""
    provider_type: str = ""
    offer: str = ""

    @classmethod
    def of(cls, args: dict[str, str] | None) -> Search:
        args = args or {}
        kind = (args.get("type") or "").strip()
        return cls(
            area=(args.get("area") or "").strip()[:MAX_SEARCH],
            provider_type=kind if kind in {t.value for t in ProviderType} else "",
            offer=(args.get("offer") or "").strip()[:MAX_SEARCH],
        )

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
    profile: ProviderProfile
    type_label: str
    sites: list[ProviderSite]
    verification: Verification
    schools: list[SchoolUse]

    @property
    def provider_id(self) -> uuid.UUID:
        return self.profile.organisation_id

    @property
    def name(self) -> str:
        return self.profile.organisation.name

    @property
    def places(self) -> list[str]:
        """Where it teaches (its sites' towns, or its own address's town when it lists no site), each once."""
        towns = [site.town for site in self.sites] or ([self.profile.town] if self.profile.town else [])
        return list(dict.fromkeys(towns))

    @property
    def offers(self) -> list[str]:
        return [site.activities for site in self.sites if site.activities]


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


def _profiles(la_id: uuid.UUID, search: Search, provider_id: uuid.UUID | None = None) -> list[ProviderProfile]:
    query = (
        select(ProviderProfile)
        .join(Organisation, Organisation.id == ProviderProfile.organisation_id)
        .where(ProviderProfile.organisation_id.in_(used_in_area(la_id)))
        .options(joinedload(ProviderProfile.organisation), selectinload(ProviderProfile.sites))
        .order_by(func.lower(Organisation.name), Organisation.id)
    )
    if provider_id is not None:
        query = query.where(ProviderProfile.organisation_id == provider_id)
    if search.provider_type:
        query = query.where(ProviderProfile.provider_type == search.provider_type)
    if search.area:
        query = query.where(_area_filter(search.area))
    if search.offer:
        query = query.where(_offer_filter(search.offer))
    return list(db.session.scalars(query).unique())


def _schools(la_id: uuid.UUID, provider_ids: list[uuid.UUID] | None) -> dict[uuid.UUID, list[SchoolUse]]:
    """The LA's schools using each provider (all the LA's providers when `provider_ids` is None), by school name."""
    query = (
        select(SchoolProvider.provider_id, Organisation.id, Organisation.name, SchoolProvider.status)
        .join(Organisation, Organisation.id == SchoolProvider.school_id)
        .where(Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id)
        .order_by(func.lower(Organisation.name))
    )
    if provider_ids is not None:
        query = query.where(SchoolProvider.provider_id.in_(provider_ids))
    out: dict[uuid.UUID, list[SchoolUse]] = defaultdict(list)
    for provider_id, school_id, name, status in db.session.execute(query).tuples():
        out[provider_id].append(SchoolUse(school_id, name, status))
    return out


class Current(NamedTuple):
    """What the directory needs of a provider's current version of one evidence type."""

    status: DocumentStatus
    expiry_date: date | None
    reviewer_id: uuid.UUID | None


def _verifications(
    la_id: uuid.UUID, profiles: list[ProviderProfile], *, all_in_area: bool, today: date
) -> dict[uuid.UUID, Verification]:
    """Each provider's required items verified and in date (its current version of each type), and by whom."""
    query = select(
        EvidenceDocument.organisation_id,
        EvidenceDocument.evidence_type,
        EvidenceDocument.version,
        EvidenceDocument.status,
        EvidenceDocument.expiry_date,
        EvidenceDocument.reviewed_by_organisation_id,
    ).where(EvidenceDocument.status != DocumentStatus.SUPERSEDED)
    if all_in_area:
        query = query.where(EvidenceDocument.organisation_id.in_(used_in_area(la_id)))
    else:
        query = query.where(EvidenceDocument.organisation_id.in_([p.organisation_id for p in profiles]))
    # The newest version still in play of each type (as shared.services.evidence.status.current_documents).
    current: dict[tuple[uuid.UUID, str], Current] = {}
    for provider_id, code, _version, status, expiry, reviewer in db.session.execute(
        query.order_by(EvidenceDocument.version)
    ).tuples():
        current[(provider_id, code)] = Current(status, expiry, reviewer)
    out: dict[uuid.UUID, Verification] = {}
    verifier_ids: set[uuid.UUID] = set()
    counts: dict[uuid.UUID, Counter[uuid.UUID | None]] = {}
    for profile in profiles:
        kind = ProviderType(profile.provider_type) if profile.provider_type else None
        required = required_evidence(kind)
        tally: Counter[uuid.UUID | None] = Counter()
        for item in required:
            found = current.get((profile.organisation_id, item.code))
            if found is None or found.status != DocumentStatus.VERIFIED:
                continue
            if found.expiry_date is not None and found.expiry_date <= today:
                continue  # lapsed, though the daily job has not marked it expired yet
            tally[found.reviewer_id] += 1
            if found.reviewer_id is not None:
                verifier_ids.add(found.reviewer_id)
        counts[profile.organisation_id] = tally
        out[profile.organisation_id] = Verification(required=len(required), verified=sum(tally.values()))
    names = organisation_names(verifier_ids)
    for provider_id, tally in counts.items():
        out[provider_id].by = [
            (names.get(org_id, "Not recorded") if org_id else "Not recorded", n) for org_id, n in tally.most_common()
        ]
    return out


def _type_label(profile: ProviderProfile) -> str:
    if not profile.provider_type:
        return "Not given yet"
    try:
        return PROVIDER_TYPE_LABELS[ProviderType(profile.provider_type)]
    except ValueError:
        return profile.provider_type


def directory(la_id: uuid.UUID, search: Search | None = None, *, today: date | None = None) -> list[Entry]:
    """The providers the LA's schools use that match the search, by name, with their verification and schools."""
    search = search or Search()
    today = today or school_today()
    profiles = _profiles(la_id, search)
    if not profiles:
        return []
    # With no search every provider in the area is listed: filter by the area's subquery rather than hundreds of ids.
    every = not search.given
    schools = _schools(la_id, None if every else [p.organisation_id for p in profiles])
    verifications = _verifications(la_id, profiles, all_in_area=every, today=today)
    return [
        Entry(
            profile=profile,
            type_label=_type_label(profile),
            sites=list(profile.sites),
            verification=verifications[profile.organisation_id],
            schools=schools.get(profile.organisation_id, []),
        )
        for profile in profiles
    ]


def entry(la_id: uuid.UUID, provider_id: uuid.UUID, *, today: date | None = None) -> Entry | None:
    """One provider of the directory, or None when none of the LA's schools uses it (like one that does not exist)."""
    today = today or school_today()
    profiles = _profiles(la_id, Search(), provider_id=provider_id)
    if not profiles:
        return None
    profile = profiles[0]
    return Entry(
        profile=profile,
        type_label=_type_label(profile),
        sites=list(profile.sites),
        verification=_verifications(la_id, profiles, all_in_area=False, today=today)[provider_id],
        schools=_schools(la_id, [provider_id]).get(provider_id, []),
    )


def type_choices() -> dict[str, str]:
    return {kind.value: label for kind, label in PROVIDER_TYPE_LABELS.items()}
