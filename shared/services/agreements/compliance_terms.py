"""The compliance figures' parts: what a term, an event and a provider's sources are, and how each term of an
agreement is rated from the sources (attendance, incidents, concerns, notices, reviews, evidence, confirmation).

shared.services.agreements.compliance loads the sources and cuts them into periods; the rules of each term are here."""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from shared.clock import school_zone
from shared.display import date_words
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.models import (
    DocumentStatus,
    Incident,
    Placement,
    SchoolProvider,
    ServiceAgreement,
)
from shared.models.pupil import slot_for
from shared.services.agreements.terms import AttendanceOnTime, rag_status
from shared.services.attendance.marks import COUNTING_STATUSES, deadline
from shared.services.placements.reviews import next_review_due
from shared.services.school_calendar.days import SESSIONS
from shared.services.school_calendar.half_terms import Period

DEFAULT_INCIDENT_HOURS = 24
NOTICES_DUE_AT = time(8, 0)  # school-local, on the next school day
PM_STARTS = time(12, 0)
# How far past the period to look for the next school day after a notice (holidays included).
NEXT_DAY_HORIZON = timedelta(days=28)
# A verified document covers days until it expires; these statuses were verified once.
WAS_VERIFIED = frozenset({DocumentStatus.VERIFIED, DocumentStatus.EXPIRED, DocumentStatus.SUPERSEDED})

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

# A school-side page: (endpoint, its URL's values), e.g. ("school_admin.incident_detail", {"incident_id": ...}).
EventLink = tuple[str, dict[str, uuid.UUID]]
# A day a verified document or a signed confirmation starts to cover, and the day it stops (None: not yet).
Cover = tuple[date, date | None]
# The marks a figure needs: placement id -> session ("AM" or "PM") -> day -> whether it was submitted late. Nested
# rather than keyed by (placement, day, session): a school year is tens of thousands of marks (see compliance._marks).
Marks = dict[uuid.UUID, dict[str, dict[date, bool]]]
NO_MARKS: dict[str, dict[date, bool]] = {}


class HeldReview(NamedTuple):
    """What the figures need of a placement review: its columns, not the ORM object with every word of the review
    (a school year of placements is hundreds of reviews)."""

    id: uuid.UUID
    placement_id: uuid.UUID
    due_on: date
    held_on: date
    next_review_on: date | None


@dataclass
class Event:
    """One thing behind a figure. `link` is an (endpoint, kwargs) pair on the school side, or None."""

    when: str
    what: str
    on_time: bool
    link: EventLink | None = None


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
    # The first day counted, when later than the period's start: nothing is judged before the agreement started,
    # the school approved the provider (or the placement started). `counted_from_why` says which, in words; when
    # nothing of the period is counted, counted_from is None and counted_from_why is the sentence saying why.
    counted_from: date | None = None
    counted_from_why: str = ""

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


@dataclass
class Sources:
    """Everything the figures are made of, for some providers over a span of dates (see `load`)."""

    span: Period
    now: datetime
    today: date
    # The dicts by provider id are defaultdicts: a provider with nothing of a kind reads an empty one.
    agreements: dict[uuid.UUID, ServiceAgreement]  # provider id -> the provider's own agreement
    overrides: dict[uuid.UUID, ServiceAgreement]  # placement id -> that placement's own terms
    placements: dict[uuid.UUID, list[Placement]]  # provider id -> [Placement]
    days: list[date]  # school days from the span's start to past its end
    marks: Marks  # placement id -> session -> day -> whether it was submitted late
    # provider id -> incident id -> (Incident, {placement ids})
    incidents: dict[uuid.UUID, dict[uuid.UUID, tuple[Incident, set[uuid.UUID]]]]
    # provider id -> [(placement id, occurred_at, sent_at)]: only sent concerns are loaded
    concerns: dict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime]]]
    # provider id -> [(placement id, shared_at, acknowledged_at)]
    notices: dict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime | None]]]
    # provider id -> [HeldReview], oldest first: those held in the span and each placement's latest before it
    reviews: dict[uuid.UUID, list[HeldReview]]
    # provider id -> evidence type -> [(reviewed_on, expiry_date)] of verified versions
    documents: dict[uuid.UUID, dict[str, list[Cover]]]
    confirmations: dict[uuid.UUID, list[Cover]]  # provider id -> [(signed_on, lapsed_on or None)]
    # provider id -> the day the school first approved it (absent: no approval recorded, so no bound from it)
    approved_on: dict[uuid.UUID, date] = field(default_factory=dict)
    # (period start, end, AM and PM marks due) -> the due sessions (_due_sessions), worked out once
    due_sessions: dict[tuple[date, date, time, time], list[DueSession]] = field(default_factory=dict)


def _words(moment: datetime) -> str:
    local = moment.astimezone(school_zone())
    return f"{local.day} {local:%B %Y at %H:%M}"


def _session_words(day: date, session: str) -> str:
    return f"{date_words(day)}, {'morning' if session == 'AM' else 'afternoon'}"


# What "nothing to measure" means for each term, in words.
NOTHING = {
    "attendance": "No sessions were due to be marked in this period",
    "incidents": "No incidents in this period",
    "concerns": "No concerns sent to the school in this period",
    "notices": "No notices due for acknowledgement in this period",
    "reviews": "No reviews held or due in this period",
    "evidence": "No days of this period have passed yet",
    "confirmation": "No days of this period have passed yet",
}


def rate(term: Term, within: int, total: int, unit: str) -> Term:
    term.within, term.total = within, total
    term.percent = round(100 * within / total, 1) if total else None
    term.rag = rag_status(term.percent) if term.agreed else None
    term.summary = f"{within} of {total} {unit}" if total else NOTHING.get(term.key, f"No {unit} in this period")
    return term


def _bounds(period: Period) -> tuple[datetime, datetime]:
    zone = school_zone()
    return (
        datetime.combine(period.start, time.min, tzinfo=zone),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _local_day(moment: datetime) -> date:
    return moment.astimezone(school_zone()).date()


def _session_of(moment: datetime) -> tuple[date, str]:
    local = moment.astimezone(school_zone())
    return local.date(), ("AM" if local.time() < PM_STARTS else "PM")


# --- the terms -----------------------------------------------------------------------------------------------------


def _attendance(
    school_provider: SchoolProvider, placements: Sequence[Placement], sources: Sources, period: Period
) -> tuple[AttendanceOnTime, Term]:
    term = Term("attendance", TERM_NAMES["attendance"], True)
    on_time = late = missing = 0
    due = _due_sessions(school_provider, sources, period)
    for placement in placements:
        if placement.status not in COUNTING_STATUSES:
            continue
        unmarked: list[date] = []
        marked_late: list[date] = []
        # Placement.expects(day, session), with its dates read once and its week's sessions once a week: a school
        # year is some 24,000 sessions of a school's placements (the governors' report).
        first, last = placement.start_date, placement.end_date
        marks = sources.marks.get(placement.id, NO_MARKS)
        # Each session's marks by day (empty when none), looked up once per placement rather than once per session.
        by_session = {session: marks.get(session, {}) for session in SESSIONS}
        weeks: dict[date, list[str]] = {}
        for day, session, slot, monday in due:
            if day < first or (last is not None and day > last):
                continue
            sessions = weeks.get(monday)
            if sessions is None:
                sessions = weeks[monday] = placement.timetable_of_week(day)
            if slot not in sessions:
                continue
            submitted_late = by_session[session].get(day)
            if submitted_late is False:
                on_time += 1
            elif submitted_late is None:
                unmarked.append(day)
            else:
                marked_late.append(day)
        missing += len(unmarked)
        late += len(marked_late)
        # One line per pupil and kind, not per session: a provider that stopped marking would otherwise list
        # hundreds of sessions. The link opens the pupil's sessions, each with its state.
        link: EventLink = ("school_admin.attendance_pupil", {"pupil_id": placement.pupil_id})
        for days, words in ((unmarked, "not marked"), (marked_late, "marked after the deadline")):
            if days:
                count = f"{len(days)} session{'' if len(days) == 1 else 's'}"
                when = (
                    date_words(days[0]) if days[0] == days[-1] else f"{date_words(days[0])} to {date_words(days[-1])}"
                )
                term.events.append(Event(when, f"{placement.pupil.named}: {count} {words}", False, link))
    expected = on_time + late + missing
    percent = round(100 * on_time / expected, 1) if expected else None
    rate(term, on_time, expected, "sessions marked on time")
    return AttendanceOnTime(expected, on_time, late, missing, percent), term


# A due session: its day, "AM" or "PM", its timetable slot (shared.models.pupil.slot_for) and its week's Monday.
DueSession = tuple[date, str, str, date]


def _due_sessions(school_provider: SchoolProvider, sources: Sources, period: Period) -> list[DueSession]:
    """The period's school-day sessions whose deadline (the provider's marks-due times) has passed: worked out once
    per period and pair of times (providers mostly share them), not for each provider or placement."""
    profile = school_provider.profile
    key = (period.start, period.end, profile.am_marks_due, profile.pm_marks_due)
    due = sources.due_sessions.get(key)
    if due is None:
        due = sources.due_sessions[key] = [
            (day, session, slot_for(day, session), day - timedelta(days=day.weekday()))
            for day in sources.days
            if period.start <= day <= period.end
            for session in SESSIONS
            if deadline(profile, day, session) <= sources.now
        ]
    return due


def _incidents(
    incidents: Sequence[tuple[Incident, set[uuid.UUID]]], hours_for: Callable[[set[uuid.UUID]], int], hours: int
) -> Term:
    term = Term("incidents", f"{TERM_NAMES['incidents']} (within {hours} hours)", True)
    within = 0
    for incident, involved in incidents:
        limit = hours_for(involved)
        taken = incident.reported_at - incident.occurred_at
        ok = taken <= timedelta(hours=limit)
        within += ok
        taken_hours = int(taken.total_seconds() // 3600)
        extra = "" if limit == hours else f" (the limit for this pupil is {limit} hours)"
        term.events.append(
            Event(
                _words(incident.occurred_at),
                f"Reported {_words(incident.reported_at)}, after {taken_hours} hours{extra}",
                ok,
                ("school_admin.incident_detail", {"incident_id": incident.id}),
            )
        )
    return rate(term, within, len(term.events), "incidents reported in time")


def _concerns(concerns: Sequence[tuple[datetime, datetime]], agreed: bool) -> Term:
    term = Term("concerns", TERM_NAMES["concerns"], agreed)
    within = 0
    for occurred_at, sent_at in concerns:
        ok = _session_of(occurred_at) == _session_of(sent_at) and sent_at >= occurred_at
        within += ok
        term.events.append(
            Event(
                _session_words(*_session_of(occurred_at)),
                "Shared in the same session" if ok else "Shared in a later session",
                ok,
            )
        )
    return rate(term, within, len(concerns), "concerns shared in the same session")


def next_school_day_deadline(shared_at: datetime, days: list[date]) -> datetime | None:
    """08:00 school-local on the first school day after the day the notice was shared; None if not known yet."""
    shared_on = _local_day(shared_at)
    following = next((d for d in days if d > shared_on), None)
    return None if following is None else datetime.combine(following, NOTICES_DUE_AT, tzinfo=school_zone())


def _notices(
    notices: Sequence[tuple[datetime, datetime | None]], days: list[date], now: datetime, agreed: bool
) -> Term:
    term = Term("notices", TERM_NAMES["notices"], agreed)
    within = counted = 0
    for shared_at, acknowledged_at in notices:
        due = next_school_day_deadline(shared_at, days)
        if acknowledged_at is None and (due is None or due > now):
            continue  # still time to acknowledge it
        counted += 1
        ok = acknowledged_at is not None and due is not None and acknowledged_at <= due
        within += ok
        what = "Not acknowledged yet" if acknowledged_at is None else f"Acknowledged {_words(acknowledged_at)}"
        term.events.append(Event(_words(shared_at), what, ok))
    return rate(term, within, counted, "notices acknowledged in time")


def _reviews(placements: Sequence[Placement], reviews: Sequence[HeldReview], period: Period, today: date) -> Term:
    """Reviews held in the period (on time if held by their due date), and placements running at the period's end
    (or today) whose review was due by then and not held."""
    term = Term("reviews", TERM_NAMES["reviews"], True)
    as_of = min(period.end, today)
    pupils = {p.id: p.pupil for p in placements}
    within = 0
    latest: dict[uuid.UUID, HeldReview] = {}
    for review in reviews:
        if review.held_on <= as_of:
            latest[review.placement_id] = review
        if not period.start <= review.held_on <= period.end:
            continue
        ok = review.held_on <= review.due_on
        within += ok
        term.events.append(
            Event(
                date_words(review.held_on),
                f"{pupils[review.placement_id].named}: due {date_words(review.due_on)}",
                ok,
                ("school_admin.review_detail", {"review_id": review.id}),
            )
        )
    for placement in placements if period.start <= as_of else ():
        running = (
            placement.status in COUNTING_STATUSES
            and placement.start_date <= as_of
            and (placement.end_date is None or placement.end_date >= as_of)
        )
        if not running:
            continue
        due_on = next_review_due(placement, latest.get(placement.id))
        if due_on is not None and due_on < as_of:
            term.events.append(
                Event(
                    f"Due {date_words(due_on)}",
                    f"{placement.pupil.named}: not held {'yet' if as_of == today else 'by ' + date_words(as_of)}",
                    False,
                    ("school_admin.placement_page", {"placement_id": placement.id}),
                )
            )
    return rate(term, within, len(term.events), "reviews held on time")


def _uncovered(spans: Iterable[Cover], days: Sequence[date]) -> list[date]:
    """The days (in order, as given) that no span covers: a span covers its start and the days before its end (or
    every day on, without one). Each span marks its days by bisection, rather than each day trying every span: the
    governors' report asks this for a school year of days, each required document of thirty providers."""
    covered = [False] * len(days)
    for start, end in spans:
        for i in range(bisect_left(days, start), len(days) if end is None else bisect_left(days, end)):
            covered[i] = True
    return [day for day, is_covered in zip(days, covered, strict=True) if not is_covered]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) pairs."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _range_words(first: date, last: date) -> str:
    return date_words(first) if first == last else f"{date_words(first)} to {date_words(last)}"


def _span_words(first: date, last: date) -> str:
    count = (last - first).days + 1
    return f"{_range_words(first, last)} ({count} day{'' if count == 1 else 's'})"


def _all_days(count: int) -> str:
    return "the 1 day so far" if count == 1 else f"all {count} days so far"


def _evidence(
    school_provider: SchoolProvider, documents: Mapping[str, list[Cover]], days: list[date], agreed: bool
) -> Term:
    """Days on which every required document was verified and in date. A document covers the days from its
    verification up to the day before its expiry date."""
    term = Term("evidence", TERM_NAMES["evidence"], agreed)
    provider_type = (
        ProviderType(school_provider.profile.provider_type) if school_provider.profile.provider_type else None
    )
    bad_days: set[date] = set()
    link: EventLink = ("school_admin.provider_page", {"provider_id": school_provider.organisation_id})
    for kind in required_evidence(provider_type):
        spans = [(reviewed_on, expiry) for reviewed_on, expiry in documents.get(kind.code, [])]
        missing = _uncovered(spans, days)
        bad_days.update(missing)
        for first, last in _runs(missing):
            term.events.append(Event(kind.name, f"Out of date or missing {_span_words(first, last)}", False, link))
    rate(term, len(days) - len(bad_days), len(days), "days with every required document in date")
    if days:
        # The words count what the percentage counts (the days in date), so the two always agree.
        term.summary = (
            f"Every required document in date on {_all_days(len(days))}"
            if not bad_days
            else f"{len(days) - len(bad_days)} of {len(days)} days with every required document in date"
        )
    return term


def _confirmation(spans: Sequence[Cover], days: list[date], agreed: bool) -> Term:
    term = Term("confirmation", TERM_NAMES["confirmation"], agreed)
    missing = _uncovered(spans, days)
    for first, last in _runs(missing):
        term.events.append(Event("Written confirmation", f"Not signed, or lapsed, {_span_words(first, last)}", False))
    rate(term, len(days) - len(missing), len(days), "days with a current written confirmation")
    if days:
        term.summary = (
            f"Signed and current on {_all_days(len(days))}"
            if not missing
            else f"{len(days) - len(missing)} of {len(days)} days with a current written confirmation"
        )
    return term
