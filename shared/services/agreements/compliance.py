"""How well each provider keeps its service level agreement, term by term, with the events behind each figure.

Computed from what already happened (marks, incidents, concerns, notices, reviews, evidence, the written
confirmation), so the school and the provider see the same numbers. It works in two steps:

- `load` reads everything about a set of providers over a span of dates with one query per source table, whatever
  the number of providers (the school's compliance page costs the same for one provider as for forty);
- `figures` works out one provider's (or one placement's) terms for any period inside that span, in Python. The
  trend (a figure per half-term) is the same data cut into half-terms, at no extra query.

Rules:
- Percentage terms are rated with shared.services.agreements.terms' thresholds (SLA_GREEN_AT / SLA_AMBER_AT);
  the overall status is the worst of the agreed terms.
- A provider without a recorded agreement is held to the defaults (the model's: 24 hours, every term agreed). A
  placement with its own terms (an override) is held to those: an incident's limit is the shortest of the terms in
  force for the pupils involved.
- Evidence and the written confirmation are measured in days: of the period's days so far, those on which every
  required document was verified and in date (and a confirmation was signed and not lapsed). A document covers the
  days from its verification to the day before it expires, even after a newer version replaces it.
- Concerns and notices are listed by date only: never their content, category, kind or pupil.
- Nothing is judged before a provider could be held to its agreement: every figure counts from the latest of the
  agreement's start, the school's first approval of the provider (its ApprovalDecision) and, for one placement,
  the placement's start (`counted_from`; the page says from when). A provider approved today is judged on today.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from shared.charts import sparkline_svg
from shared.display import date_words
from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    AttendanceMark,
    Concern,
    EvidenceDocument,
    Incident,
    IncidentPupil,
    KcsieConfirmation,
    Notice,
    Placement,
    PlacementReview,
    ProviderStatus,
    SchoolProvider,
    ServiceAgreement,
    utcnow,
)
from shared.services.agreements.compliance_terms import (
    DEFAULT_INCIDENT_HOURS,
    NEXT_DAY_HORIZON,
    TERM_NAMES,
    WAS_VERIFIED,
    Compliance,
    Cover,
    HeldReview,
    Marks,
    Sources,
    _attendance,
    _bounds,
    _concerns,
    _confirmation,
    _evidence,
    _incidents,
    _local_day,
    _notices,
    _reviews,
)
from shared.services.placements.reviews import latest_first
from shared.services.school_calendar import half_terms
from shared.services.school_calendar.days import school_days
from shared.services.school_calendar.half_terms import Period


def approved_providers(school_id: uuid.UUID) -> list[SchoolProvider]:
    return list(
        db.session.scalars(
            select(SchoolProvider)
            .options(joinedload(SchoolProvider.provider), joinedload(SchoolProvider.profile))
            .where(SchoolProvider.school_id == school_id, SchoolProvider.status == ProviderStatus.APPROVED)
        )
    )


# --- loading -------------------------------------------------------------------------------------------------------


def load(
    school_id: uuid.UUID, school_providers: list[SchoolProvider], span: Period, *, now: datetime | None = None
) -> Sources:
    """Read what the figures need for these providers from span.start to span.end: one query per source table."""
    now = now or utcnow()
    ids: list[uuid.UUID | None] = [p.organisation_id for p in school_providers] or [None]  # never an empty IN ()
    start_at, end_at = _bounds(span)

    agreements: dict[uuid.UUID, ServiceAgreement] = {}
    overrides: dict[uuid.UUID, ServiceAgreement] = {}
    for agreement in db.session.scalars(
        select(ServiceAgreement)
        .where(ServiceAgreement.school_id == school_id, ServiceAgreement.provider_id.in_(ids))
        .order_by(ServiceAgreement.created_at)
    ):
        if agreement.placement_id is None:
            agreements[agreement.provider_id] = agreement  # the newest wins
        else:
            overrides[agreement.placement_id] = agreement

    placements: defaultdict[uuid.UUID, list[Placement]] = defaultdict(list)
    by_id: dict[uuid.UUID, Placement] = {}
    for placement in db.session.scalars(
        select(Placement)
        .options(joinedload(Placement.pupil))
        .where(Placement.school_id == school_id, Placement.provider_id.in_(ids))
    ):
        placements[placement.provider_id].append(placement)
        by_id[placement.id] = placement
    placement_ids: list[uuid.UUID | None] = list(by_id) or [None]

    days = list(school_days(school_id, span.start, span.end + NEXT_DAY_HORIZON))
    marks = _marks(placement_ids, span.start, min(span.end, _local_day(now)))

    incidents: defaultdict[uuid.UUID, dict[uuid.UUID, tuple[Incident, set[uuid.UUID]]]] = defaultdict(dict)
    for incident, placement_id in db.session.execute(
        select(Incident, IncidentPupil.placement_id)
        .outerjoin(IncidentPupil, IncidentPupil.incident_id == Incident.id)
        .where(
            Incident.school_id == school_id,
            Incident.provider_id.in_(ids),
            Incident.occurred_at >= start_at,
            Incident.occurred_at < end_at,
        )
        .order_by(Incident.occurred_at)
    ):
        involved = incidents[incident.provider_id].setdefault(incident.id, (incident, set()))[1]
        if placement_id is not None:
            involved.add(placement_id)

    concerns: defaultdict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime]]] = defaultdict(list)
    for provider_id, placement_id, occurred_at, sent_at in db.session.execute(
        select(Concern.provider_id, Concern.placement_id, Concern.occurred_at, Concern.sent_at)
        .where(
            Concern.school_id == school_id,
            Concern.provider_id.in_(ids),
            Concern.sent_at.is_not(None),
            Concern.occurred_at >= start_at,
            Concern.occurred_at < end_at,
        )
        .order_by(Concern.occurred_at)
    ):
        concerns[provider_id].append((placement_id, occurred_at, sent_at))

    notices: defaultdict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime | None]]] = defaultdict(list)
    for provider_id, placement_id, shared_at, acknowledged_at in db.session.execute(
        select(Notice.provider_id, Notice.placement_id, Notice.shared_at, Notice.acknowledged_at)
        .where(
            Notice.school_id == school_id,
            Notice.provider_id.in_(ids),
            Notice.shared_at >= start_at,
            Notice.shared_at < end_at,
        )
        .order_by(Notice.shared_at)
    ):
        notices[provider_id].append((placement_id, shared_at, acknowledged_at))

    # The reviews held in the span, and each placement's latest before it: what decides whether a review is
    # overdue in any period of the span (compliance_terms._reviews). Not every earlier review: a year of placements
    # is several reviews each, and loading them all was most of the compliance page's loading time.
    latest_before = (
        select(
            PlacementReview.id,
            latest_first().label("rank"),
        )
        .where(PlacementReview.placement_id.in_(placement_ids), PlacementReview.held_on < span.start)
        .subquery()
    )
    reviews: defaultdict[uuid.UUID, list[HeldReview]] = defaultdict(list)
    for review in db.session.execute(
        select(
            PlacementReview.id,
            PlacementReview.placement_id,
            PlacementReview.due_on,
            PlacementReview.held_on,
            PlacementReview.next_review_on,
        )
        .where(
            PlacementReview.placement_id.in_(placement_ids),
            PlacementReview.held_on <= span.end,
            or_(
                PlacementReview.held_on >= span.start,
                PlacementReview.id.in_(select(latest_before.c.id).where(latest_before.c.rank == 1)),
            ),
        )
        .order_by(PlacementReview.held_on, PlacementReview.recorded_at)
    ):
        reviews[by_id[review.placement_id].provider_id].append(HeldReview(*review))

    documents: defaultdict[uuid.UUID, dict[str, list[Cover]]] = defaultdict(lambda: defaultdict(list))  # both levels
    for provider_id, kind, status, reviewed_at, expiry_date, rejection_reason in db.session.execute(
        select(
            EvidenceDocument.organisation_id,
            EvidenceDocument.evidence_type,
            EvidenceDocument.status,
            EvidenceDocument.reviewed_at,
            EvidenceDocument.expiry_date,
            EvidenceDocument.rejection_reason,
        ).where(EvidenceDocument.organisation_id.in_(ids), EvidenceDocument.reviewed_at.is_not(None))
    ):
        if status in WAS_VERIFIED and rejection_reason is None:
            documents[provider_id][kind].append((_local_day(reviewed_at), expiry_date))

    confirmations: defaultdict[uuid.UUID, list[Cover]] = defaultdict(list)
    for provider_id, signed_at, lapsed_at in db.session.execute(
        select(KcsieConfirmation.organisation_id, KcsieConfirmation.signed_at, KcsieConfirmation.lapsed_at).where(
            KcsieConfirmation.organisation_id.in_(ids), KcsieConfirmation.school_id == school_id
        )
    ):
        confirmations[provider_id].append((_local_day(signed_at), _local_day(lapsed_at) if lapsed_at else None))

    approved_on = {
        provider_id: _local_day(decided_at)
        for provider_id, decided_at in db.session.execute(
            select(ApprovalDecision.organisation_id, func.min(ApprovalDecision.decided_at))
            .where(
                ApprovalDecision.organisation_id.in_(ids),
                ApprovalDecision.school_id == school_id,
                ApprovalDecision.decision == "approved",
            )
            .group_by(ApprovalDecision.organisation_id)
        )
    }

    return Sources(
        span=span,
        now=now,
        today=_local_day(now),
        agreements=agreements,
        overrides=overrides,
        placements=placements,
        days=days,
        marks=marks,
        incidents=incidents,
        concerns=concerns,
        notices=notices,
        reviews=reviews,
        documents=documents,
        confirmations=confirmations,
        approved_on=approved_on,
    )


def counted_from(
    sources: Sources, school_provider: SchoolProvider, agreement: ServiceAgreement | None, placement: Placement | None
) -> tuple[date | None, str]:
    """The first day a provider (or a placement) can be judged: the latest of the agreement's start, the school's
    approval of the provider and the placement's start, with which one it was in words. (None: no such day. A
    provider the school has never approved has none either, but nothing of it is judged: see `figures`.)"""
    starts: list[tuple[date, str]] = []
    if agreement is not None:
        starts.append((agreement.starts_on, "the agreement started"))
    approved = sources.approved_on.get(school_provider.organisation_id)
    if approved is not None:
        starts.append((approved, "the school approved the provider"))
    if placement is not None:
        starts.append((placement.start_date, "the placement started"))
    if not starts:
        return None, ""
    day, why = max(starts, key=lambda start: start[0])
    return day, why


def _marks(placement_ids: list[uuid.UUID | None], first: date, last: date) -> Marks:
    """Whether each mark of these placements from `first` to `last` was submitted late, by placement, then session,
    then day (see Marks).

    Only what the figure needs, as plain values, and nothing after today: a school year of a hundred placements is
    over 20,000 marks, and loading them as ORM objects was most of the page's time. Nested by placement and session
    rather than keyed by a (placement, day, session) tuple: the governors' report reads a whole year, and a tuple per
    mark made the dict itself slow to build and gave the garbage collector tens of thousands of objects to walk. On
    PostgreSQL they come as one row per placement and session with arrays (array_agg), each row made into its dict
    at once, which reads them about four times faster than a row per mark; elsewhere (SQLite), a row per mark.
    """
    mark = AttendanceMark
    where = (mark.placement_id.in_(placement_ids), mark.day >= first, mark.day <= last)
    marks: Marks = {}
    if db.session.get_bind().dialect.name != "postgresql":
        rows = db.session.execute(select(mark.placement_id, mark.day, mark.session, mark.submitted_late).where(*where))
        for placement_id, day, session, late in rows:
            marks.setdefault(placement_id, {}).setdefault(session, {})[day] = late
        return marks
    for placement_id, session, days, lates in db.session.execute(
        select(mark.placement_id, mark.session, func.array_agg(mark.day), func.array_agg(mark.submitted_late))
        .where(*where)
        .group_by(mark.placement_id, mark.session)
    ):
        marks.setdefault(placement_id, {})[session] = dict(zip(days, lates, strict=True))
    return marks


# --- the figures ---------------------------------------------------------------------------------------------------

NEVER_APPROVED = frozenset({ProviderStatus.INVITED, ProviderStatus.ONBOARDING, ProviderStatus.SUBMITTED})


def figures(
    sources: Sources, school_provider: SchoolProvider, period: Period, *, placement: Placement | None = None
) -> Compliance:
    """One provider's figures over the period (inside sources.span), or one of its placements' when `placement` is
    given: that placement's sessions, incidents, concerns, notices and reviews, under the terms in force for it."""
    pid = school_provider.organisation_id
    provider_agreement = sources.agreements.get(pid)
    agreement = (sources.overrides.get(placement.id) if placement else None) or provider_agreement

    def agreed(name: str) -> bool:
        return True if agreement is None else bool(getattr(agreement, name))

    def hours_for(placement_ids: set[uuid.UUID]) -> int:
        limits = [
            terms.incidents_within_hours
            for terms in (sources.overrides.get(p) or provider_agreement for p in placement_ids)
            if terms is not None
        ]
        if not placement_ids and provider_agreement is not None:
            limits.append(provider_agreement.incidents_within_hours)
        return min(limits) if limits else DEFAULT_INCIDENT_HOURS

    # Nothing is judged for days before the provider (or the placement) could be held to the agreement.
    first_day, why = counted_from(sources, school_provider, agreement, placement)
    whole = period
    not_counted = ""
    if pid not in sources.approved_on and school_provider.status in NEVER_APPROVED:
        # Still being invited or onboarded: nothing to judge until the school approves it.
        first_day = period.end + timedelta(days=1)
        not_counted = "Nothing is counted until the school approves the provider."
    elif first_day is not None and first_day > period.end:
        if first_day > sources.today:  # still to come: "when the agreement starts"
            why = why.replace(" started", " starts")
        not_counted = f"Nothing in this period is counted: figures count from {date_words(first_day)}, when {why}."
    if first_day is not None and first_day > period.start:
        period = Period(first_day, period.end, period.name)
    start_at, end_at = _bounds(period)
    placements = [placement] if placement else sources.placements[pid]
    wanted = {p.id for p in placements}
    incidents = [
        (incident, involved)
        for incident, involved in sources.incidents[pid].values()
        if start_at <= incident.occurred_at < end_at and (placement is None or placement.id in involved)
    ]
    concerns = [
        (occurred_at, sent_at)
        for placement_id, occurred_at, sent_at in sources.concerns[pid]
        if start_at <= occurred_at < end_at and placement_id in wanted
    ]
    notices = [
        (shared_at, acknowledged_at)
        for placement_id, shared_at, acknowledged_at in sources.notices[pid]
        if start_at <= shared_at < end_at and placement_id in wanted
    ]
    reviews = [r for r in sources.reviews[pid] if r.placement_id in wanted]
    # The days measured so far: nothing is judged ahead of today.
    days_so_far = [
        period.start + timedelta(days=n) for n in range((min(period.end, sources.today) - period.start).days + 1)
    ]

    attendance, attendance_term = _attendance(school_provider, placements, sources, period)
    incidents_hours = hours_for({placement.id}) if placement else hours_for(set())
    terms = [
        attendance_term,
        _incidents(incidents, hours_for, incidents_hours),
        _concerns(concerns, agreed("concerns_same_session")),
        _notices(notices, sources.days, sources.now, agreed("notices_before_next_school_day")),
        _reviews(placements, reviews, period, sources.today),
        _evidence(school_provider, sources.documents[pid], days_so_far, agreed("evidence_in_date")),
        _confirmation(sources.confirmations[pid], days_so_far, agreed("confirmation_current")),
    ]
    later = period.start if period.start > whole.start else None
    if not_counted:
        return Compliance(pid, whole, agreement, attendance, terms, None, not_counted)
    return Compliance(pid, whole, agreement, attendance, terms, later, why if later else "")


def compliance_for(
    school_id: uuid.UUID, school_providers: list[SchoolProvider], period: Period, *, now: datetime | None = None
) -> dict[uuid.UUID, Compliance]:
    """Each provider's figures over the period, by provider id: one query per source table for all of them."""
    if not school_providers:
        return {}
    sources = load(school_id, school_providers, period, now=now)
    return {p.organisation_id: figures(sources, p, period) for p in school_providers}


def compliance_of(school_provider: SchoolProvider, period: Period, *, now: datetime | None = None) -> Compliance:
    """One provider's figures: the same calculation as the school's compliance page."""
    return compliance_for(school_provider.school_id, [school_provider], period, now=now)[
        school_provider.organisation_id
    ]


@dataclass
class Trend:
    """A provider's figure for each term in each half-term, oldest first: `values[key]` lines up with `periods`."""

    periods: list[Period]
    values: dict[str, list[float | None]]
    overall: list[str | None]


def trend(sources: Sources, school_provider: SchoolProvider, periods: list[Period], *, notices: bool = True) -> Trend:
    """The figures per half-term, from sources loaded over all of them (without the notices for provider staff
    other than the DSL: then the overall status leaves them out too)."""
    reports = [figures(sources, school_provider, period) for period in periods]
    if not notices:
        reports = [r.without_notices() for r in reports]
    values = {key: [r.term(key).percent for r in reports] for key in TERM_NAMES if notices or key != "notices"}
    return Trend(periods, values, [r.overall for r in reports])


@dataclass
class ProviderView:
    """A provider's page: the figures for the chosen period, the half-term trend up to it, and the sources (so the
    page can also show each placement's figures at no extra query)."""

    sources: Sources
    report: Compliance
    trend: Trend

    def sparklines(self) -> dict[str, Markup]:
        """Each term's trend as a small line, labelled with its figures in words (the picture alone says nothing to
        a screen reader)."""
        names = [p.name for p in self.trend.periods]
        lines: dict[str, Markup] = {}
        for key, values in self.trend.values.items():
            said = "; ".join(
                f"{name}: {'no figure' if v is None else f'{v}%'}" for name, v in zip(names, values, strict=True)
            )
            lines[key] = sparkline_svg(values, label=f"{TERM_NAMES[key]} by half-term: {said}")
        return lines if self.trend.periods else {}


def provider_view(
    school_provider: SchoolProvider, period: Period, trend_periods: list[Period], *, notices: bool = True
) -> ProviderView:
    """Load once over the chosen period and the trend's half-terms, then cut the figures from it."""
    span_start = min([period.start, *(p.start for p in trend_periods)])
    sources = load(school_provider.school_id, [school_provider], Period(span_start, period.end, period.name))
    report = figures(sources, school_provider, period)
    return ProviderView(
        sources,
        report if notices else report.without_notices(),
        trend(sources, school_provider, trend_periods, notices=notices),
    )


def standing_for_home(
    school_provider: SchoolProvider, *, notices: bool, now: datetime | None = None
) -> Compliance | None:
    """This half-term's figures for the provider's home page when it is amber or red (None otherwise, or before
    approval): the same calculation as its compliance page, without the notices for staff other than the DSL."""
    if school_provider.status != ProviderStatus.APPROVED:
        return None
    now = now or utcnow()
    period = half_terms.current_period(school_provider.school_id, _local_day(now))
    report = compliance_of(school_provider, period, now=now)
    if not notices:
        report = report.without_notices()
    return report if report.overall in ("amber", "red") else None
