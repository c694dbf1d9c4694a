"""Breaches of a service level agreement: a term rated red for a provider over the current half-term raises a task
for the AP lead, who records what they did about it (spoke to the provider, agreed an action plan, reduced or
ended placements: the policy's "adjusted or ceased when it is not working").

One breach per provider, term and half-term: a term that stays red is not raised again until the next half-term,
and one that recovers keeps its breach until the AP lead closes it (the lapse happened). An hourly job
(shared.tasks) checks every school; the compliance page shows the breaches too.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select

from shared import audit
from shared.clock import local_now
from shared.display import date_words
from shared.extensions import db
from shared.models import ComplianceBreach, Organisation, OrganisationKind, ProviderStatus, SchoolProvider, User
from shared.models.base import utcnow
from shared.services.agreements.compliance import approved_providers, compliance_for
from shared.services.agreements.compliance_terms import TERM_NAMES, Compliance
from shared.services.errors import RuleBroken
from shared.services.school_calendar.half_terms import current_of, half_terms

ACTION_LIMIT = 2000


def record_breaches(school_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """Raise a breach for every agreed term rated red this half-term that has none yet. Returns how many."""
    now = now or utcnow()
    # Only over a half-term of the school's calendar: without one, "the last six weeks" would move every day and
    # raise the same lapse again each day.
    period = current_of(half_terms(school_id), local_now(now).date())
    school_providers = approved_providers(school_id)
    if period is None or not school_providers:
        return 0
    reports = compliance_for(school_id, school_providers, period, now=now)
    raised = set(
        db.session.execute(
            select(ComplianceBreach.provider_id, ComplianceBreach.term_key).where(
                ComplianceBreach.school_id == school_id, ComplianceBreach.period_start == period.start
            )
        ).all()
    )
    school = db.session.get(Organisation, school_id)
    _withdraw_raised_in_error(school_id, school, reports, period.start, now)
    count = 0
    for school_provider in school_providers:
        for term in reports[school_provider.organisation_id].terms:
            if not (term.agreed and term.rag == "red") or (school_provider.organisation_id, term.key) in raised:
                continue
            breach = ComplianceBreach(
                school_id=school_id,
                provider_id=school_provider.organisation_id,
                term_key=term.key,
                period_start=period.start,
                period_end=period.end,
                period_name=period.name[:120],
                percent=term.percent,
                summary=term.summary[:200],
                raised_at=now,
            )
            db.session.add(breach)
            db.session.flush()
            audit.record(
                "compliance.breach_raised",
                organisation=school,
                obj=breach,
                term=term.key,
                period_start=period.start.isoformat(),
            )
            count += 1
    db.session.commit()
    return count


def _withdraw_raised_in_error(
    school_id: uuid.UUID,
    school: Organisation | None,
    reports: dict[uuid.UUID, Compliance],
    period_start: date,
    now: datetime,
) -> None:
    """Breaches raised before figures counted from the agreement's start and the provider's approval (an earlier
    version judged the days before them): an open breach of this half-term whose term, counted from that day, shows
    no lapse at all was never a lapse. It is closed with the reason, never deleted, so the AP lead still sees it."""
    for breach in db.session.scalars(
        select(ComplianceBreach).where(
            ComplianceBreach.school_id == school_id,
            ComplianceBreach.period_start == period_start,
            ComplianceBreach.resolved_at.is_(None),
        )
    ):
        report = reports.get(breach.provider_id)
        if report is None or report.counted_from is None:
            continue
        term = next((t for t in report.terms if t.key == breach.term_key), None)
        if term is None or not term.agreed or term.late or term.rag == "red":
            continue
        breach.action_taken = (
            f"Closed by AP Portal: raised for days before {date_words(report.counted_from)}, when "
            f"{report.counted_from_why}, which are no longer counted. Since then: {term.summary}."
        )[:ACTION_LIMIT]
        breach.resolved_at = now
        audit.record(
            "compliance.breach_withdrawn",
            organisation=school,
            obj=breach,
            term=breach.term_key,
            counted_from=report.counted_from.isoformat(),
        )


def record_all_breaches(*, now: datetime | None = None) -> int:
    """record_breaches for every school with an approved provider (the hourly job)."""
    school_ids = db.session.scalars(
        select(Organisation.id)
        .where(Organisation.kind == OrganisationKind.SCHOOL)
        .where(
            select(SchoolProvider.id)
            .where(SchoolProvider.school_id == Organisation.id, SchoolProvider.status == ProviderStatus.APPROVED)
            .exists()
        )
    ).all()
    return sum(record_breaches(school_id, now=now) for school_id in school_ids)


def breaches(school_id: uuid.UUID, *, provider_id: uuid.UUID | None = None) -> list[ComplianceBreach]:
    """Open breaches first (oldest first), then those dealt with (newest first)."""
    query = select(ComplianceBreach).where(ComplianceBreach.school_id == school_id)
    if provider_id is not None:
        query = query.where(ComplianceBreach.provider_id == provider_id)
    rows = list(db.session.scalars(query.order_by(ComplianceBreach.raised_at)))
    open_ = [b for b in rows if b.resolved_at is None]

    def resolved_at(breach: ComplianceBreach) -> datetime:
        assert breach.resolved_at is not None, "only resolved breaches are sorted by it"
        return breach.resolved_at

    closed = sorted((b for b in rows if b.resolved_at is not None), key=resolved_at, reverse=True)
    return open_ + closed


def term_name(breach: ComplianceBreach) -> str:
    return TERM_NAMES.get(breach.term_key, breach.term_key)


def resolve_breach(school: Organisation, breach_id: uuid.UUID, action_taken: str, *, by: User) -> ComplianceBreach:
    """The AP lead records what they did; the breach is closed. Another school's breach is not found."""
    breach = db.session.scalar(
        select(ComplianceBreach).where(ComplianceBreach.id == breach_id, ComplianceBreach.school_id == school.id)
    )
    if breach is None:
        raise LookupError(breach_id)
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise RuleBroken("Enter what you did about the breach, for example who you spoke to and what was agreed")
    if len(action_taken) > ACTION_LIMIT:
        raise RuleBroken(f"What you did must be {ACTION_LIMIT} characters or fewer")
    if breach.resolved_at is not None:
        raise RuleBroken("This breach has already been dealt with")
    breach.action_taken = action_taken
    breach.resolved_at = utcnow()
    breach.resolved_by_id = by.id
    audit.record("compliance.breach_resolved", organisation=school, obj=breach, actor=by, term=breach.term_key)
    db.session.commit()
    return breach


def open_count(school_id: uuid.UUID) -> int:
    count = db.session.scalar(
        select(func.count()).where(ComplianceBreach.school_id == school_id, ComplianceBreach.resolved_at.is_(None))
    )
    assert count is not None, "COUNT(*) always gives a row"
    return count
