"""Reports leaders are asked for: the inspection pack (every provider the school uses, with its evidence, written
confirmation, visits and the pupils placed there) and the school census's AP placement items.

Read-only. Each report reads a fixed number of queries (one per table, never one per provider or per pupil), so a
school with many providers and placements gets its report as fast as one with a few.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select

from shared.attendance_codes import ATTENDING_CODE, LegalBasis
from shared.csv_safety import spreadsheet_safe
from shared.evidence_catalogue import PROVIDER_TYPE_LABELS, ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    DocumentStatus,
    EvidenceDocument,
    KcsieConfirmation,
    Organisation,
    Placement,
    PlacementReview,
    PlacementStatus,
    ProviderProfile,
    ProviderStatus,
    Pupil,
    SchoolProvider,
    SiteVisit,
)
from shared.models.pupil import TIMETABLE_SLOTS
from shared.services.evidence.status import EvidenceLine, line_for

# Placements that happened (agreed and started, running or ended). Planned and cancelled ones never placed a pupil.
PLACED = (PlacementStatus.ACTIVE, PlacementStatus.ENDED)

# The census's attendance pattern. A full school week is 10 sessions (about 32.5 hours); DfE gives no hour figure for
# "full time" at AP, so this app counts a placement as full time when it has the pupil for every session of the
# week, or for 25 hours a week or more (the common local-authority line for full-time AP). Anything less is part time.
CENSUS_FULL_TIME_HOURS = Decimal("25")
CENSUS_FULL_TIME_SESSIONS = len(TIMETABLE_SLOTS)

# The placement's main reason in the census's words. Check them against the DfE code set for the census in hand
# before keying them into the MIS: the census asks for its own codes, which change from year to year.
CENSUS_REASONS = {
    "risk_of_exclusion": "At risk of permanent exclusion",
    "suspended": "Suspension",
    "permanently_excluded": "Permanent exclusion",
    "semh": "Social, emotional and mental health",
    "medical": "Health needs",
    "awaiting_place": "Awaiting a specialist or EHC plan place",
    "other": "Other",
}

CENSUS_COLUMNS = [
    "UPN",
    "surname",
    "forename",
    "provider",
    "URN",
    "UKPRN",
    "setting type",
    "reason",
    "entry date",
    "leaving date",
    "full or part time",
    "register code",
    "sessions per week",
]

INSPECTION_COLUMNS = [
    "provider",
    "type",
    "URN",
    "UKPRN",
    "setting type",
    "status",
    "approved on",
    "pupils placed now",
    "pupils placed in period",
    "written confirmation signed on",
    "last site visit",
    "last placement review",
    "evidence",
    "evidence status",
    "issued on",
    "out of date from",
    "last reviewed on",
]

STATUS_LABELS = {
    ProviderStatus.INVITED: "Invited",
    ProviderStatus.ONBOARDING: "Onboarding",
    ProviderStatus.SUBMITTED: "Waiting for approval",
    ProviderStatus.APPROVED: "Approved",
    ProviderStatus.SUSPENDED: "Suspended",
}


def school_year_start(today: date) -> date:
    """1 September of the school year `today` is in."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def _csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


# --- the inspection pack ------------------------------------------------------------------------------------------


@dataclass
class PlacedPupil:
    placement: Placement
    pupil: Pupil
    last_review: date | None
    now: bool  # running today


@dataclass
class ProviderInPack:
    organisation: Organisation
    profile: ProviderProfile
    link: SchoolProvider  # the school's relationship with it (its status)
    approved_on: date | None
    evidence: list[EvidenceLine]
    confirmation: KcsieConfirmation | None
    last_visit: date | None
    pupils: list[PlacedPupil] = field(default_factory=list)  # placed at some time in the period

    @property
    def type_label(self) -> str:
        kind = self.profile.provider_type
        return PROVIDER_TYPE_LABELS.get(ProviderType(kind), kind) if kind else "Not given yet"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.link.status, str(self.link.status))

    @property
    def ever_approved(self) -> bool:
        """Approved or suspended (a suspended provider was approved once), so a missing date is a missing record."""
        return self.link.status in (ProviderStatus.APPROVED, ProviderStatus.SUSPENDED)

    @property
    def placed_now(self) -> list[PlacedPupil]:
        return [placed for placed in self.pupils if placed.now]

    @property
    def last_review(self) -> date | None:
        return max((placed.last_review for placed in self.pupils if placed.last_review), default=None)


def _overlaps(placement: Placement, start: date, end: date) -> bool:
    return placement.start_date <= end and (placement.end_date is None or placement.end_date >= start)


def inspection_pack(school_id: uuid.UUID, start: date, end: date, today: date) -> list[ProviderInPack]:
    """Every provider the school uses -- approved, suspended, or with any placement ever -- by name, with the pupils
    placed there in the period (start to end) and now (today). Seven queries, whatever the numbers."""
    placed_ever = select(Placement.provider_id).where(Placement.school_id == school_id, Placement.status.in_(PLACED))
    providers = db.session.execute(
        select(Organisation, ProviderProfile, SchoolProvider)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .join(SchoolProvider, SchoolProvider.provider_id == Organisation.id)
        .where(
            SchoolProvider.school_id == school_id,
            or_(
                SchoolProvider.status.in_((ProviderStatus.APPROVED, ProviderStatus.SUSPENDED)),
                Organisation.id.in_(placed_ever),
            ),
        )
        .order_by(Organisation.name)
    ).all()
    ids = [organisation.id for organisation, _, _ in providers]
    if not ids:
        return []

    documents: dict[uuid.UUID, dict[str, EvidenceDocument]] = defaultdict(dict)
    for document in db.session.scalars(
        select(EvidenceDocument)
        .where(EvidenceDocument.organisation_id.in_(ids), EvidenceDocument.status != DocumentStatus.SUPERSEDED)
        .order_by(EvidenceDocument.version)
    ):
        documents[document.organisation_id][document.evidence_type] = document  # the newest version wins

    # The same rule as shared.services.evidence.staff_list.current_confirmation: the newest one that has not lapsed.
    confirmations: dict[uuid.UUID, KcsieConfirmation] = {}
    for confirmation in db.session.scalars(
        select(KcsieConfirmation)
        .where(
            KcsieConfirmation.organisation_id.in_(ids),
            KcsieConfirmation.school_id == school_id,
            KcsieConfirmation.lapsed_at.is_(None),
        )
        .order_by(KcsieConfirmation.signed_at)
    ):
        confirmations[confirmation.organisation_id] = confirmation

    approved_on = dict(
        db.session.execute(
            select(ApprovalDecision.organisation_id, func.max(ApprovalDecision.decided_at))
            .where(
                ApprovalDecision.school_id == school_id,
                ApprovalDecision.organisation_id.in_(ids),
                ApprovalDecision.decision == "approved",
            )
            .group_by(ApprovalDecision.organisation_id)
        )
        .tuples()
        .all()
    )
    last_visit = dict(
        db.session.execute(
            select(SiteVisit.provider_id, func.max(SiteVisit.visited_on))
            .where(SiteVisit.school_id == school_id, SiteVisit.provider_id.in_(ids))
            .group_by(SiteVisit.provider_id)
        )
        .tuples()
        .all()
    )
    last_review = dict(
        db.session.execute(
            select(PlacementReview.placement_id, func.max(PlacementReview.held_on))
            .where(PlacementReview.school_id == school_id)
            .group_by(PlacementReview.placement_id)
        )
        .tuples()
        .all()
    )

    pack = {
        organisation.id: ProviderInPack(
            organisation=organisation,
            profile=profile,
            link=link,
            approved_on=approved_on[organisation.id].date() if approved_on.get(organisation.id) else None,
            evidence=[
                line_for(kind, documents[organisation.id].get(kind.code), today)
                for kind in required_evidence(ProviderType(profile.provider_type) if profile.provider_type else None)
            ],
            confirmation=confirmations.get(organisation.id),
            last_visit=last_visit.get(organisation.id),
        )
        for organisation, profile, link in providers
    }
    for placement, pupil in db.session.execute(
        select(Placement, Pupil)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            Placement.school_id == school_id,
            Placement.provider_id.in_(ids),
            Placement.status.in_(PLACED),
            Placement.start_date <= max(end, today),
            or_(Placement.end_date.is_(None), Placement.end_date >= min(start, today)),
        )
        .order_by(Pupil.last_name, Pupil.first_name, Placement.start_date)
    ):
        now = _overlaps(placement, today, today)
        if now or _overlaps(placement, start, end):
            pack[placement.provider_id].pupils.append(PlacedPupil(placement, pupil, last_review.get(placement.id), now))
    return list(pack.values())


def inspection_csv(pack: list[ProviderInPack], start: date, end: date) -> tuple[str, int]:
    """One row per provider and required document (the provider's columns repeated), counts of pupils, no names.
    Returns the CSV and its number of rows."""
    rows = []
    for entry in pack:
        profile = entry.profile
        provider_cells = [
            entry.organisation.name,
            entry.type_label,
            profile.urn or "",
            profile.ukprn or "",
            profile.setting_type or "",
            entry.status_label,
            _iso(entry.approved_on),
            len(entry.placed_now),
            sum(1 for placed in entry.pupils if _overlaps(placed.placement, start, end)),
            _iso(entry.confirmation.signed_at.date()) if entry.confirmation else "",
            _iso(entry.last_visit),
            _iso(entry.last_review),
        ]
        lines: Sequence[EvidenceLine | None] = entry.evidence or [None]  # one row even with nothing required
        for line in lines:
            document = line.document if line else None
            rows.append(
                provider_cells
                + [
                    line.kind.name if line else "",
                    line.tag if line else "",
                    _iso(document.issue_date) if document else "",
                    _iso(document.expiry_date) if document else "",
                    _iso(document.review_date) if document else "",
                ]
            )
    return _csv(INSPECTION_COLUMNS, rows), len(rows)


# --- the school census's AP placements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CensusRow:
    upn: str
    surname: str
    forename: str
    provider: str
    urn: str
    ukprn: str
    setting_type: str
    reason: str
    entry_date: date
    leaving_date: date | None
    full_time: bool
    register_code: str
    sessions_per_week: int

    def cells(self) -> list[str | int]:
        return [
            self.upn,
            self.surname,
            self.forename,
            self.provider,
            self.urn,
            self.ukprn,
            self.setting_type,
            self.reason,
            _iso(self.entry_date),
            _iso(self.leaving_date),
            "FT" if self.full_time else "PT",
            self.register_code,
            self.sessions_per_week,
        ]


def is_full_time(placement: Placement) -> bool:
    sessions = len(set(placement.timetable or []) & set(TIMETABLE_SLOTS))
    hours = placement.hours_per_week
    return sessions >= CENSUS_FULL_TIME_SESSIONS or (hours is not None and hours >= CENSUS_FULL_TIME_HOURS)


def census_rows(school_id: uuid.UUID, start: date, end: date) -> list[CensusRow]:
    """One row per placement of the school's that ran on any day from start to end. One query."""
    found = db.session.execute(
        select(Placement, Pupil, Organisation, ProviderProfile)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .join(Organisation, Organisation.id == Placement.provider_id)
        .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Placement.provider_id)
        .where(
            Placement.school_id == school_id,
            Pupil.school_id == school_id,
            Placement.status.in_(PLACED),
            Placement.start_date <= end,
            or_(Placement.end_date.is_(None), Placement.end_date >= start),
        )
        .order_by(Pupil.last_name, Pupil.first_name, Placement.start_date)
    ).all()
    rows = []
    for placement, pupil, provider, profile in found:
        # A leaving date only once the placement has ended: a planned end still to come is not a leaving date.
        left = placement.end_date if placement.status == PlacementStatus.ENDED else None
        registered = profile is not None and (profile.urn or profile.ukprn)
        rows.append(
            CensusRow(
                upn=pupil.upn,
                surname=pupil.last_name,
                forename=pupil.first_name,
                provider=provider.name,
                urn=(profile.urn or "") if profile else "",
                ukprn=(profile.ukprn or "") if profile else "",
                setting_type="" if registered or profile is None else (profile.setting_type or ""),
                reason=CENSUS_REASONS.get(placement.primary_reason or "", "Not recorded"),
                entry_date=placement.start_date,
                leaving_date=left,
                full_time=is_full_time(placement),
                register_code=ATTENDING_CODE.get(LegalBasis(placement.legal_basis), ""),
                sessions_per_week=len(set(placement.timetable or []) & set(TIMETABLE_SLOTS)),
            )
        )
    return rows


def census_csv(rows: list[CensusRow]) -> str:
    return _csv(CENSUS_COLUMNS, [row.cells() for row in rows])
