"""How well each provider keeps its service level agreement, term by term, with the events behind each figure.

Computed from what already happened (marks, incidents, concerns, notices, reviews, evidence, the written
confirmation), so the school and the provider see the same numbers. `compliance_for` works for many providers at
once with one query per source table (grouped here in Python), so the school's compliance page costs the same
number of queries for one provider as for forty.

- Percentage terms (attendance, incidents, concerns, notices, reviews) are rated with shared.services.agreements'
  thresholds; yes/no terms (evidence, confirmation) are green or red. The overall status is the worst of them.
- A provider without a recorded agreement is held to the defaults (the model's: 24 hours, every term agreed).
- Evidence is the current state, not a history: the documents out of date, rejected or missing today.
- Concerns and notices are listed by date only: never their content, category, kind or pupil.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Concern,
    DocumentStatus,
    EvidenceDocument,
    Incident,
    KcsieConfirmation,
    Notice,
    Placement,
    PlacementReview,
    PlacementStatus,
    ProviderProfile,
    ProviderStatus,
    ServiceAgreement,
    utcnow,
)
from shared.services.agreements import AttendanceOnTime, rag_status
from shared.services.attendance import COUNTING_STATUSES, SESSIONS, deadline, school_zone
from shared.services.evidence_status import Standing, line_for
from shared.services.half_terms import Period
from shared.services.reviews import next_review_due
from shared.services.school_calendar import school_days

DEFAULT_INCIDENT_HOURS = 24
NOTICES_DUE_AT = time(8, 0)  # school-local, on the next school day
PM_STARTS = time(12, 0)
# How far past the period to look for the next school day after a notice (holidays included).
NEXT_DAY_HORIZON = timedelta(days=28)
OUT_OF_DATE = frozenset({Standing.NOT_UPLOADED, Standing.EXPIRED, Standing.REJECTED})

TERM_NAMES = {
    "attendance": "Attendance marked on time",
    "incidents": "Incidents reported in time",
    "concerns": "Concerns shared in the same session",
    "notices": "Notices acknowledged in time",
    "reviews": "Reviews held on time",
    "evidence": "Evidence in date",
    "confirmation": "Written confirmation current",
}
RAG_ORDER = {"green": 0, "amber": 1, "red": 2}


@dataclass
class Event:
    """One thing behind a figure. `link` is an (endpoint, kwargs) pair on the school side, or None."""

    when: str
    what: str
    on_time: bool
    link: tuple[str, dict] | None = None


@dataclass
class Term:
    key: str
    name: str
    agreed: bool  # False when the agreement leaves this term out: shown, but not rated
    total: int = 0
    within: int = 0
    percent: float | None = None
    rag: str | None = None
    summary: str = ""
    events: list[Event] = field(default_factory=list)

    @property
    def late(self) -> list[Event]:
        return [e for e in self.events if not e.on_time]


@dataclass
class Compliance:
    provider_id: uuid.UUID
    period: Period
    agreement: ServiceAgreement | None
    attendance: AttendanceOnTime
    terms: list[Term]

    @property
    def overall(self) -> str | None:
        rated = [t.rag for t in self.terms if t.agreed and t.rag]
        return max(rated, key=RAG_ORDER.__getitem__) if rated else None

    def term(self, key: str) -> Term:
        return next(t for t in self.terms if t.key == key)

    def without_notices(self) -> Compliance:
        """The figures for provider staff other than the DSL: notices are the DSL's alone, and nobody else at the
        provider may learn that any exist, not even from a count (the overall status then leaves them out too)."""
        return replace(self, terms=[t for t in self.terms if t.key != "notices"])


def _words(moment: datetime) -> str:
    local = moment.astimezone(school_zone())
    return f"{local.day} {local:%B %Y at %H:%M}"


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _rate(term: Term, within: int, total: int, unit: str) -> Term:
    term.within, term.total = within, total
    term.percent = round(100 * within / total, 1) if total else None
    term.rag = rag_status(term.percent) if term.agreed else None
    term.summary = f"{within} of {total} {unit}" if total else f"No {unit} in this period"
    return term


def _yes_no(term: Term, ok: bool, summary: str) -> Term:
    term.within, term.total = int(ok), 1
    term.rag = ("green" if ok else "red") if term.agreed else None
    term.summary = summary
    return term


def _bounds(period: Period) -> tuple[datetime, datetime]:
    zone = school_zone()
    return (
        datetime.combine(period.start, time.min, tzinfo=zone),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _session_of(moment: datetime) -> tuple[date, str]:
    local = moment.astimezone(school_zone())
    return local.date(), ("AM" if local.time() < PM_STARTS else "PM")


def approved_providers(school_id) -> list[ProviderProfile]:
    return list(
        db.session.scalars(
            select(ProviderProfile)
            .options(joinedload(ProviderProfile.organisation))
            .where(ProviderProfile.school_id == school_id, ProviderProfile.status == ProviderStatus.APPROVED)
        )
    )


def compliance_for(
    school_id, profiles: list[ProviderProfile], period: Period, *, now: datetime | None = None
) -> dict[uuid.UUID, Compliance]:
    """Each provider's figures over the period, by provider id: one query per source table for all of them."""
    now = now or utcnow()
    today = now.astimezone(school_zone()).date()
    ids = [p.organisation_id for p in profiles]
    if not ids:
        return {}
    start_at, end_at = _bounds(period)

    agreements: dict = {}
    for agreement in db.session.scalars(
        select(ServiceAgreement)
        .where(ServiceAgreement.provider_id.in_(ids), ServiceAgreement.placement_id.is_(None))
        .order_by(ServiceAgreement.created_at)
    ):
        agreements[agreement.provider_id] = agreement  # the newest wins

    placements = list(
        db.session.scalars(
            select(Placement)
            .options(joinedload(Placement.pupil))
            .where(Placement.school_id == school_id, Placement.provider_id.in_(ids))
        )
    )
    by_id = {p.id: p for p in placements}
    days = list(school_days(school_id, period.start, period.end + NEXT_DAY_HORIZON))
    marks = {
        (m.placement_id, m.day, m.session): m
        for m in db.session.scalars(
            select(AttendanceMark).where(
                AttendanceMark.placement_id.in_(list(by_id) or [None]),
                AttendanceMark.day >= period.start,
                AttendanceMark.day <= period.end,
            )
        )
    }
    incidents = db.session.scalars(
        select(Incident)
        .where(
            Incident.school_id == school_id,
            Incident.provider_id.in_(ids),
            Incident.occurred_at >= start_at,
            Incident.occurred_at < end_at,
        )
        .order_by(Incident.occurred_at)
    )
    concerns = db.session.execute(
        select(Concern.provider_id, Concern.occurred_at, Concern.sent_at)
        .where(
            Concern.school_id == school_id,
            Concern.provider_id.in_(ids),
            Concern.sent_at.is_not(None),
            Concern.occurred_at >= start_at,
            Concern.occurred_at < end_at,
        )
        .order_by(Concern.occurred_at)
    )
    notices = db.session.execute(
        select(Notice.provider_id, Notice.shared_at, Notice.acknowledged_at)
        .where(
            Notice.school_id == school_id,
            Notice.provider_id.in_(ids),
            Notice.shared_at >= start_at,
            Notice.shared_at < end_at,
        )
        .order_by(Notice.shared_at)
    )
    reviews = list(
        db.session.scalars(
            select(PlacementReview)
            .where(PlacementReview.placement_id.in_(list(by_id) or [None]))
            .order_by(PlacementReview.held_on, PlacementReview.recorded_at)
        )
    )
    documents: dict = defaultdict(dict)
    for document in db.session.scalars(
        select(EvidenceDocument)
        .where(EvidenceDocument.organisation_id.in_(ids), EvidenceDocument.status != DocumentStatus.SUPERSEDED)
        .order_by(EvidenceDocument.version)
    ):
        documents[document.organisation_id][document.evidence_type] = document  # the newest version wins
    confirmed = set(
        db.session.scalars(
            select(KcsieConfirmation.organisation_id).where(
                KcsieConfirmation.organisation_id.in_(ids), KcsieConfirmation.lapsed_at.is_(None)
            )
        )
    )

    # --- group by provider -----------------------------------------------------------------------------------------
    placements_of = defaultdict(list)
    for placement in placements:
        placements_of[placement.provider_id].append(placement)
    incidents_of = defaultdict(list)
    for incident in incidents:
        incidents_of[incident.provider_id].append(incident)
    concerns_of = defaultdict(list)
    for provider_id, occurred_at, sent_at in concerns:
        concerns_of[provider_id].append((occurred_at, sent_at))
    notices_of = defaultdict(list)
    for provider_id, shared_at, acknowledged_at in notices:
        notices_of[provider_id].append((shared_at, acknowledged_at))
    reviews_of = defaultdict(list)
    latest: dict = {}
    for review in reviews:
        reviews_of[by_id[review.placement_id].provider_id].append(review)
        latest[review.placement_id] = review

    out = {}
    for profile in profiles:
        pid = profile.organisation_id
        agreement = agreements.get(pid)

        def agreed(name: str, agreement=agreement) -> bool:
            return True if agreement is None else bool(getattr(agreement, name))

        attendance, attendance_term = _attendance(profile, placements_of[pid], days, marks, period, now)
        terms = [
            attendance_term,
            _incidents(incidents_of[pid], agreement.incidents_within_hours if agreement else DEFAULT_INCIDENT_HOURS),
            _concerns(concerns_of[pid], agreed("concerns_same_session")),
            _notices(notices_of[pid], days, now, agreed("notices_before_next_school_day")),
            _reviews(placements_of[pid], reviews_of[pid], latest, period, today),
            _evidence(profile, documents[pid], today, agreed("evidence_in_date")),
            _yes_no(
                Term("confirmation", TERM_NAMES["confirmation"], agreed("confirmation_current")),
                pid in confirmed,
                "Signed and current" if pid in confirmed else "Not signed, or lapsed since the staff list changed",
            ),
        ]
        out[pid] = Compliance(pid, period, agreement, attendance, terms)
    return out


def compliance_of(profile: ProviderProfile, period: Period, *, now: datetime | None = None) -> Compliance:
    """One provider's figures: the same calculation as the school's compliance page."""
    return compliance_for(profile.school_id, [profile], period, now=now)[profile.organisation_id]


# --- the terms -----------------------------------------------------------------------------------------------------


def _attendance(profile, placements, days, marks, period, now) -> tuple[AttendanceOnTime, Term]:
    term = Term("attendance", TERM_NAMES["attendance"], True)
    on_time = late = missing = 0
    in_period = [d for d in days if period.start <= d <= period.end]
    for placement in placements:
        if placement.status not in COUNTING_STATUSES:
            continue
        for day in in_period:
            if day < placement.start_date or (placement.end_date is not None and day > placement.end_date):
                continue
            for session in SESSIONS:
                if not placement.expects(day, session) or deadline(profile, day, session) > now:
                    continue
                mark = marks.get((placement.id, day, session))
                when = f"{_day_words(day)}, {'morning' if session == 'AM' else 'afternoon'}"
                link = ("school_admin.attendance_pupil", {"pupil_id": placement.pupil_id})
                if mark is None:
                    missing += 1
                    term.events.append(Event(when, f"{placement.pupil.full_name}: not marked", False, link))
                elif mark.submitted_late:
                    late += 1
                    term.events.append(Event(when, f"{placement.pupil.full_name}: marked late", False, link))
                else:
                    on_time += 1
    expected = on_time + late + missing
    percent = round(100 * on_time / expected, 1) if expected else None
    _rate(term, on_time, expected, "sessions marked on time")
    return AttendanceOnTime(expected, on_time, late, missing, percent), term


def _incidents(incidents, hours: int) -> Term:
    term = Term("incidents", f"{TERM_NAMES['incidents']} (within {hours} hours)", True)
    within = 0
    for incident in incidents:
        taken = incident.reported_at - incident.occurred_at
        ok = taken <= timedelta(hours=hours)
        within += ok
        taken_hours = int(taken.total_seconds() // 3600)
        term.events.append(
            Event(
                _words(incident.occurred_at),
                f"Reported {_words(incident.reported_at)}, after {taken_hours} hours",
                ok,
                ("school_admin.incident_detail", {"incident_id": incident.id}),
            )
        )
    return _rate(term, within, len(term.events), "incidents reported in time")


def _concerns(concerns, agreed: bool) -> Term:
    term = Term("concerns", TERM_NAMES["concerns"], agreed)
    within = 0
    for occurred_at, sent_at in concerns:
        ok = _session_of(occurred_at) == _session_of(sent_at) and sent_at >= occurred_at
        within += ok
        day, session = _session_of(occurred_at)
        term.events.append(
            Event(
                f"{_day_words(day)}, {'morning' if session == 'AM' else 'afternoon'}",
                "Shared in the same session" if ok else "Shared in a later session",
                ok,
            )
        )
    return _rate(term, within, len(concerns), "concerns shared in the same session")


def next_school_day_deadline(shared_at: datetime, days: list[date]) -> datetime | None:
    """08:00 school-local on the first school day after the day the notice was shared; None if not known yet."""
    shared_on = shared_at.astimezone(school_zone()).date()
    following = next((d for d in days if d > shared_on), None)
    return None if following is None else datetime.combine(following, NOTICES_DUE_AT, tzinfo=school_zone())


def _notices(notices, days, now, agreed: bool) -> Term:
    term = Term("notices", TERM_NAMES["notices"], agreed)
    within = counted = 0
    for shared_at, acknowledged_at in notices:
        due = next_school_day_deadline(shared_at, days)
        if acknowledged_at is None and (due is None or due > now):
            continue  # still time to acknowledge it
        counted += 1
        ok = acknowledged_at is not None and due is not None and acknowledged_at <= due
        within += ok
        if acknowledged_at is None:
            what = "Not acknowledged yet"
        else:
            what = f"Acknowledged {_words(acknowledged_at)}"
        term.events.append(Event(_words(shared_at), what, ok))
    return _rate(term, within, counted, "notices acknowledged in time")


def _reviews(placements, reviews, latest, period: Period, today: date) -> Term:
    term = Term("reviews", TERM_NAMES["reviews"], True)
    pupils = {p.id: p.pupil for p in placements}
    within = 0
    for review in reviews:
        if not period.start <= review.held_on <= period.end:
            continue
        ok = review.held_on <= review.due_on
        within += ok
        pupil = pupils[review.placement_id]
        term.events.append(
            Event(
                _day_words(review.held_on),
                f"{pupil.full_name}: due {_day_words(review.due_on)}",
                ok,
                ("school_admin.review_detail", {"review_id": review.id}),
            )
        )
    for placement in placements:
        if placement.status != PlacementStatus.ACTIVE:
            continue
        due_on = next_review_due(placement, latest.get(placement.id))
        if due_on is not None and due_on < today:
            term.events.append(
                Event(
                    f"Due {_day_words(due_on)}",
                    f"{placement.pupil.full_name}: not held yet",
                    False,
                    ("school_admin.placement_page", {"placement_id": placement.id}),
                )
            )
    return _rate(term, within, len(term.events), "reviews held on time")


def _evidence(profile: ProviderProfile, current: dict, today: date, agreed: bool) -> Term:
    term = Term("evidence", TERM_NAMES["evidence"], agreed)
    provider_type = ProviderType(profile.provider_type) if profile.provider_type else None
    lines = [line_for(kind, current.get(kind.code), today) for kind in required_evidence(provider_type)]
    for line in lines:
        if line.standing in OUT_OF_DATE:
            term.events.append(
                Event(
                    line.kind.name,
                    line.tag,
                    False,
                    ("school_admin.provider_page", {"provider_id": profile.organisation_id}),
                )
            )
    bad = len(term.events)
    summary = (
        f"All {len(lines)} required documents in date today"
        if not bad
        else f"{bad} of {len(lines)} required documents out of date or missing today"
    )
    return _yes_no(term, not bad, summary)
