"""The service level agreement between the school and a provider, and how well the provider keeps it.

The agreement's terms are data (shared.models.ServiceAgreement); the attendance deadlines are part of it but stay
on ProviderProfile, where the attendance rules read them. Compliance is computed from what already happened, so
the school and the provider see the same figures. This module covers the attendance term; the others come later.

The provider's own agreement has no placement (`placement_id` empty); a placement may have an override of its own
whose terms replace the provider's for that placement only (`terms_in_force`). `agreement_for` never returns an
override. The signed copy of the provider's agreement goes through the shared upload pipeline; every upload is kept
and the newest is the signed copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import IO, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared import audit
from shared.clock import local_now
from shared.extensions import db
from shared.models import (
    AgreementDocument,
    Organisation,
    Placement,
    ProviderProfile,
    Pupil,
    ServiceAgreement,
    User,
    utcnow,
)
from shared.services.attendance.marks import deadline, expected_sessions, marks_for, placements_on
from shared.services.errors import Problems, RuleBroken
from shared.services.placements.plans import visible_to_provider
from shared.uploads.pipeline import store_upload

# The yes/no terms, in plain English.
COMMITMENTS = {
    "concerns_same_session": "Safeguarding concerns are shared with the school in the same session",
    "notices_before_next_school_day": "Notices from the school are acknowledged before the next school day",
    "evidence_in_date": "Evidence (insurance, checks, policies) is kept in date",
    "confirmation_current": "The written safeguarding confirmation is kept current",
    "school_policy_acknowledged": "The school's child protection policy is acknowledged",
}


@dataclass
class AgreementTerms:
    """What the AP lead agrees with the provider (everything but the attendance deadlines)."""

    starts_on: date
    ends_on: date | None
    incidents_within_hours: int
    reviews_every_weeks: int
    concerns_same_session: bool
    notices_before_next_school_day: bool
    evidence_in_date: bool
    confirmation_current: bool
    school_policy_acknowledged: bool
    behaviour_expectations: str | None
    reporting_procedures: str | None
    cost_per_session_pence: int | None
    cost_per_week_pence: int | None


def agreement_for(provider_id: uuid.UUID, school_id: uuid.UUID) -> ServiceAgreement | None:
    """The provider's current agreement with this school (not a placement's override), or None."""
    return db.session.scalar(
        select(ServiceAgreement)
        .where(
            ServiceAgreement.provider_id == provider_id,
            ServiceAgreement.school_id == school_id,
            ServiceAgreement.placement_id.is_(None),
        )
        .order_by(ServiceAgreement.created_at.desc())
        .limit(1)
    )


def check_terms(terms: AgreementTerms) -> None:
    """Every rule about the terms at once (RulesBroken lists them all). A value the form could not read (None
    where a number or date belongs) is left to the form's own message."""
    found = Problems()
    given: dict[str, Any] = vars(terms)  # the form passes None for what it could not read
    starts_on, ends_on = given["starts_on"], given["ends_on"]
    incidents, reviews = given["incidents_within_hours"], given["reviews_every_weeks"]
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        found.add("The end date must be on or after the start date", "ends_on")
    if incidents is not None and not 1 <= incidents <= 168:
        found.add("Incidents must be reported within 1 to 168 hours (one week)", "incidents_within_hours")
    if reviews is not None and not 1 <= reviews <= 52:
        found.add("Reviews must be held at least every 1 to 52 weeks", "reviews_every_weeks")
    for name in ("cost_per_session_pence", "cost_per_week_pence"):
        value = getattr(terms, name)
        if value is not None and not 0 <= value <= 10_000_000:
            found.add("Enter a cost between £0 and £100,000", name)
    found.raise_any()


_check = check_terms


def save_agreement(
    school: Organisation, provider: Organisation, terms: AgreementTerms, *, by: User
) -> ServiceAgreement:
    """Record the agreement with the provider, or change it; the audit names the terms that changed, never text."""
    _check(terms)
    agreement = agreement_for(provider.id, school.id)
    if agreement is None:
        agreement = ServiceAgreement(school_id=school.id, provider_id=provider.id, created_by_id=by.id)
        db.session.add(agreement)
        changed = [f.name for f in fields(AgreementTerms)]
    else:
        changed = [f.name for f in fields(AgreementTerms) if getattr(agreement, f.name) != getattr(terms, f.name)]
    for f in fields(AgreementTerms):
        setattr(agreement, f.name, getattr(terms, f.name))
    agreement.updated_by_id = by.id
    agreement.updated_at = utcnow()
    db.session.flush()
    audit.record("agreement.saved", organisation=school, obj=agreement, actor=by, fields=sorted(changed))
    db.session.commit()
    return agreement


# --- the signed copy -----------------------------------------------------------------------------------------------


def store_signed_copy(
    agreement: ServiceAgreement, stream: IO[bytes], filename: str, *, signed_on: date | None, by: User | None
) -> AgreementDocument:
    """Take the signed copy of the provider's agreement through the shared upload pipeline and keep it with the
    agreement (earlier copies are kept too). Raises RuleBroken for a date signed in the future (before anything is
    read) and UploadRefused for anything the pipeline refuses: either way there is no row and no stored object.
    The audit gives the size, never the file's name."""
    if agreement.placement_id is not None:
        raise ValueError("a signed copy belongs to the provider's own agreement, not a placement's override")
    if signed_on is not None and signed_on > local_now().date():
        raise RuleBroken("The date it was signed must be today or in the past", "signed_on")
    with store_upload(stream, filename, organisation_id=agreement.school_id) as stored:
        document = AgreementDocument(
            agreement_id=agreement.id,
            school_id=agreement.school_id,
            provider_id=agreement.provider_id,
            storage_key=stored.key,
            display_name=stored.display_name,
            content_type=stored.content_type,
            size_bytes=stored.size,
            sha256=stored.sha256,
            virus_scanned=stored.virus_scanned,
            signed_on=signed_on,
            uploaded_by_id=by.id if by is not None else None,
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            "agreement.document_uploaded",
            organisation=db.session.get(Organisation, agreement.school_id),
            obj=document,
            actor=by,
            size_bytes=stored.size,
            virus_scanned=stored.virus_scanned,
        )
        db.session.commit()
    return document


def signed_copies(provider_id: uuid.UUID, *, school_id: uuid.UUID) -> list[AgreementDocument]:
    """Every signed copy uploaded for the provider's agreement with this school, newest first: the first is the
    signed copy."""
    return list(
        db.session.scalars(
            select(AgreementDocument)
            .where(AgreementDocument.provider_id == provider_id, AgreementDocument.school_id == school_id)
            .order_by(AgreementDocument.uploaded_at.desc())
        )
    )


def signed_copy(document_id: uuid.UUID) -> AgreementDocument | None:
    """One uploaded signed copy by id (the caller checks whose it is)."""
    return db.session.get(AgreementDocument, document_id)


def placement_agreement(placement: Placement) -> ServiceAgreement | None:
    """The placement's own terms (its override of the provider's agreement), or None when it follows the provider's."""
    return db.session.scalar(
        select(ServiceAgreement)
        .where(ServiceAgreement.placement_id == placement.id, ServiceAgreement.provider_id == placement.provider_id)
        .order_by(ServiceAgreement.created_at.desc())
        .limit(1)
    )


def terms_in_force(placement: Placement) -> ServiceAgreement | None:
    """The terms the placement is held to: its own, else the provider's agreement, else None (none recorded)."""
    return placement_agreement(placement) or agreement_for(placement.provider_id, placement.school_id)


def overrides_for(provider_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ServiceAgreement]:
    """Every placement override of these providers' agreements, by placement id, in one query."""
    ids = list(provider_ids)
    if not ids:
        return {}
    overrides: dict[uuid.UUID, ServiceAgreement] = {}
    for agreement in db.session.scalars(
        select(ServiceAgreement)
        .where(ServiceAgreement.provider_id.in_(ids), ServiceAgreement.placement_id.is_not(None))
        .order_by(ServiceAgreement.created_at)
    ):
        assert agreement.placement_id is not None, "the query asks for overrides"
        overrides[agreement.placement_id] = agreement  # the newest wins
    return overrides


def differing_terms(agreement: ServiceAgreement, other: ServiceAgreement | None) -> list[str]:
    """The names of the terms (AgreementTerms' fields, in their order) where `agreement` differs from `other`."""
    if other is None:
        return [f.name for f in fields(AgreementTerms)]
    return [f.name for f in fields(AgreementTerms) if getattr(agreement, f.name) != getattr(other, f.name)]


@dataclass(frozen=True)
class PlacementTerms:
    """A placement with terms of its own, and which of the provider's terms they change."""

    placement: Placement
    pupil: Pupil
    agreement: ServiceAgreement
    differs: list[str]


def placements_with_own_terms(
    provider_id: uuid.UUID, *, school_id: uuid.UUID, visible_on: date | None = None
) -> list[PlacementTerms]:
    """The provider's placements from this school that have terms of their own, by pupil name. With `visible_on`,
    only the placements the provider can see that day (never a pupil whose placement it was not told of)."""
    overrides = overrides_for([provider_id])
    if not overrides:
        return []
    base = agreement_for(provider_id, school_id)
    query = (
        select(Placement)
        .options(joinedload(Placement.pupil))
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            Placement.id.in_(list(overrides)), Placement.provider_id == provider_id, Placement.school_id == school_id
        )
        .order_by(Pupil.last_name, Pupil.first_name)
    )
    if visible_on is not None:
        query = query.where(visible_to_provider(visible_on))
    return [
        PlacementTerms(
            placement, placement.pupil, overrides[placement.id], differing_terms(overrides[placement.id], base)
        )
        for placement in db.session.scalars(query)
    ]


def save_placement_agreement(placement: Placement, terms: AgreementTerms, *, by: User) -> ServiceAgreement:
    """Give the placement terms of its own, or change them. The provider's agreement must be recorded first, and
    the terms must differ from it somewhere. The audit names the terms that changed from those in force before."""
    base = agreement_for(placement.provider_id, placement.school_id)
    if base is None:
        raise RuleBroken(
            f"Record the agreement with {placement.provider.name} first: a placement's terms start from it", "starts_on"
        )
    _check(terms)
    if all(getattr(base, f.name) == getattr(terms, f.name) for f in fields(AgreementTerms)):
        raise RuleBroken(
            "These are the same as the provider's agreement. Change the terms that are different for this "
            "placement, or leave it on the provider's terms",
            "starts_on",
        )
    agreement = placement_agreement(placement)
    before = agreement or base
    changed = [f.name for f in fields(AgreementTerms) if getattr(before, f.name) != getattr(terms, f.name)]
    if agreement is None:
        agreement = ServiceAgreement(
            school_id=placement.school_id,
            provider_id=placement.provider_id,
            placement_id=placement.id,
            created_by_id=by.id,
        )
        db.session.add(agreement)
    for f in fields(AgreementTerms):
        setattr(agreement, f.name, getattr(terms, f.name))
    agreement.updated_by_id = by.id
    agreement.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "agreement.placement_saved", organisation=placement.school, obj=placement, actor=by, fields=sorted(changed)
    )
    db.session.commit()
    return agreement


def remove_placement_agreement(placement: Placement, *, by: User) -> None:
    """Return the placement to the provider's terms; its own terms are deleted (the audit keeps that they were)."""
    agreement = placement_agreement(placement)
    if agreement is None:
        raise RuleBroken("This placement already follows the provider's agreement", "submit")
    db.session.delete(agreement)
    audit.record("agreement.placement_removed", organisation=placement.school, obj=placement, actor=by)
    db.session.commit()


# --- compliance ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceOnTime:
    expected: int  # sessions whose deadline has passed
    on_time: int
    late: int
    missing: int
    percent: float | None  # on time, of expected; None when nothing was expected

    @property
    def rag(self) -> str | None:
        return rag_status(self.percent)


def attendance_on_time(
    provider_id: uuid.UUID, start: date, end: date, *, now: datetime | None = None
) -> AttendanceOnTime:
    """Of the sessions the provider was expected to mark from start to end (the timetables within the school
    calendar, counting only sessions whose deadline has passed), how many were marked on time, late, or not at all."""
    now = now or utcnow()

    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))
    assert profile is not None, "every provider organisation is made with its profile (people.invite_provider)"
    placements = placements_on(provider_id=provider_id, day=start, end=end)
    due = [
        (placement, day, session)
        for placement, day, session in expected_sessions(placements, start, end)
        if deadline(profile, day, session) <= now
    ]
    marks = marks_for([p.id for p in placements], start, end)
    on_time = late = missing = 0
    for placement, day, session in due:
        mark = marks.get((placement.id, day, session))
        if mark is None:
            missing += 1
        elif mark.submitted_late:
            late += 1
        else:
            on_time += 1
    percent = round(100 * on_time / len(due), 1) if due else None
    return AttendanceOnTime(len(due), on_time, late, missing, percent)


RAG_LABELS = {
    "green": "Green: meeting the agreement",
    "amber": "Amber: slipping",
    "red": "Red: not meeting the agreement",
}


def rag_status(percent: float | None) -> str | None:
    """Green, amber or red against the thresholds in the app's configuration; None when there is nothing to judge."""
    if percent is None:
        return None
    if percent >= current_app.config.get("SLA_GREEN_AT", 95):
        return "green"
    if percent >= current_app.config.get("SLA_AMBER_AT", 85):
        return "amber"
    return "red"
