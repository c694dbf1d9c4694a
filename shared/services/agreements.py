"""The service level agreement between the school and a provider, and how well the provider keeps it.

The agreement's terms are data (shared.models.ServiceAgreement); the attendance deadlines are part of it but stay
on ProviderProfile, where the attendance rules read them. Compliance is computed from what already happened, so
the school and the provider see the same figures. This module covers the attendance term; the others come later.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from flask import current_app
from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.models import Organisation, ProviderProfile, ServiceAgreement, User, utcnow
from shared.services.attendance import deadline, expected_sessions, marks_for, placements_on
from shared.services.errors import RuleBroken

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


def agreement_for(provider_id) -> ServiceAgreement | None:
    """The provider's current agreement (not a placement's override), or None."""
    return db.session.scalar(
        select(ServiceAgreement)
        .where(ServiceAgreement.provider_id == provider_id, ServiceAgreement.placement_id.is_(None))
        .order_by(ServiceAgreement.created_at.desc())
        .limit(1)
    )


def _check(terms: AgreementTerms) -> None:
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise RuleBroken("The end date must be on or after the start date", "ends_on")
    if not 1 <= terms.incidents_within_hours <= 168:
        raise RuleBroken("Incidents must be reported within 1 to 168 hours (one week)", "incidents_within_hours")
    if not 1 <= terms.reviews_every_weeks <= 52:
        raise RuleBroken("Reviews must be held at least every 1 to 52 weeks", "reviews_every_weeks")
    for name in ("cost_per_session_pence", "cost_per_week_pence"):
        value = getattr(terms, name)
        if value is not None and not 0 <= value <= 10_000_000:
            raise RuleBroken("Enter a cost between £0 and £100,000", name)


def save_agreement(
    school: Organisation, provider: Organisation, terms: AgreementTerms, *, by: User
) -> ServiceAgreement:
    """Record the agreement with the provider, or change it; the audit names the terms that changed, never text."""
    _check(terms)
    agreement = agreement_for(provider.id)
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


def attendance_on_time(provider_id, start: date, end: date, *, now=None) -> AttendanceOnTime:
    """Of the sessions the provider was expected to mark from start to end (the timetables within the school
    calendar, counting only sessions whose deadline has passed), how many were marked on time, late, or not at all."""
    now = now or utcnow()

    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))
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
