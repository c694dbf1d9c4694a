"""The local authority's list of the placements its schools commission (issue 14): every placement agreed (planned
or running) or ended this school year, of the schools in the LA's area, with the date the school told the LA and
the DfE's intended limits on unregistered provision.

The LA is told of the placements it is told of, so the pupil's name and year group are shown; nothing of the pupil's
needs, child protection or safeguarding is loaded, let alone shown.

A page is a fixed number of queries whatever the number of placements: the schools and providers for the filters,
a count, and one page of rows (PAGE_SIZE) with everything on them joined.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from shared.clock import school_zone
from shared.display import date_words
from shared.extensions import db
from shared.models import (
    HeadteacherDecision,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    ProviderProfile,
    Pupil,
    SchoolProvider,
)
from shared.services.local_authority.limits import (
    LimitFlag,
    Limits,
    LimitState,
    flagged,
    flagged_on,
    limit_days,
    limit_flag,
)
from shared.services.local_authority.limits import is_full_time as _is_full_time
from shared.services.local_authority.limits import is_registered as _is_registered
from shared.services.local_authority.limits import weeks_so_far as _weeks_so_far
from shared.services.reports.inspection import school_year_start

PAGE_SIZE = 100
RECENT_DAYS = 14  # the LA home's "placements notified in the last 14 days"

# What the list shows: every placement, those the LA was told of lately, or those over or near the limits.
SHOW_ALL, SHOW_RECENT, SHOW_LIMITS = "all", "recent", "limits"
SHOWS = (SHOW_ALL, SHOW_RECENT, SHOW_LIMITS)


def schools_in(la_id: uuid.UUID | ColumnElement[uuid.UUID]) -> Select[tuple[uuid.UUID]]:
    """The ids of the schools in the LA's area, as a subquery."""
    return select(Organisation.id).where(
        Organisation.kind == OrganisationKind.SCHOOL, Organisation.local_authority_id == la_id
    )


def listed(today: date) -> ColumnElement[bool]:
    """The placements the LA sees: agreed and planned, running, or ended this school year."""
    return listed_since(school_year_start(today))


def listed_since(year_start: date | ColumnElement[date]) -> ColumnElement[bool]:
    """`listed`, with the school year's first day given (a value or a bound parameter)."""
    return or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(Placement.status == PlacementStatus.PLANNED, Placement.headteacher_decision == HeadteacherDecision.AGREED),
        and_(Placement.status == PlacementStatus.ENDED, Placement.end_date >= year_start),
    )


def recent_since(today: date) -> datetime:
    """Where "told in the last RECENT_DAYS days" starts: midnight (school time) of the day RECENT_DAYS before today.
    It counts in days, so a list drawn in the morning says the same in the afternoon."""
    return datetime.combine(today - timedelta(days=RECENT_DAYS), time(), tzinfo=school_zone())


def recently_told(today: date) -> ColumnElement[bool]:
    return told_since(recent_since(today))


def told_since(since: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """The LA was told on or after `since` (a value or a bound parameter)."""
    return Placement.la_notified_at >= since


def providers_used_by(la_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every provider a school in the LA's area works with (any status), its name by id, in name order: the list's
    provider filter (the two columns only: at LA scale there are hundreds)."""
    # Rows, not the Result itself: a Result has keys(), so dict() would take it for a mapping.
    return dict(
        db.session.execute(
            select(Organisation.id, Organisation.name)
            .where(
                Organisation.id.in_(
                    select(SchoolProvider.provider_id).where(SchoolProvider.school_id.in_(schools_in(la_id)))
                )
            )
            .order_by(Organisation.name, Organisation.id)
        )
        .tuples()
        .all()
    )


@dataclass(frozen=True)
class PlacementFilter:
    school_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    show: str = SHOW_ALL
    page: int = 1


@dataclass(frozen=True)
class LaPlacement:
    """One line of the LA's list."""

    id: uuid.UUID
    school: str
    pupil: str
    year_group: str | None
    provider: str
    provider_type: str | None
    status: PlacementStatus
    hours_per_week: Decimal | None
    sessions: int
    start_date: date
    end_date: date | None
    max_end_date: date | None
    la_notified_on: date | None  # the school's date when AP Portal told the LA (None: agreed before it did)
    la_informed_on: date | None  # the date the school wrote on the plan, if any
    weeks: int
    limit: LimitFlag | None
    started: bool  # by the day the list was made

    # The cells' words, made here rather than in the template: a page has a hundred rows.
    @property
    def registration(self) -> str:
        return "Registered" if self.registered else "Not registered"

    @property
    def time_text(self) -> str:
        return "Full time" if self.full_time else "Part time"

    @property
    def time_detail(self) -> str:
        sessions = f"{self.sessions} session{'' if self.sessions == 1 else 's'} a week"
        hours = self.hours_text
        return f"{hours}, {sessions}" if hours else sessions

    @property
    def dates_text(self) -> str:
        end = self.end_date or self.max_end_date
        to = date_words(end) if end else "no end date"
        # A running placement can have its end date set already (a phased return): only one that has ended says so.
        ended = " (ended)" if self.status == PlacementStatus.ENDED else ""
        return f"{date_words(self.start_date)} to {to}{ended}"

    @property
    def progress_text(self) -> str:
        if not self.started:
            return "Not started yet"
        return f"{self.weeks} week{'' if self.weeks == 1 else 's'} so far"

    @property
    def told_text(self) -> str:
        """When the LA was told: AP Portal's date, else the date the school wrote on the plan."""
        if self.la_notified_on:
            return date_words(self.la_notified_on)
        if self.la_informed_on:
            return date_words(self.la_informed_on)
        return "Agreed before AP Portal told the local authority"

    @property
    def told_by_school_only(self) -> bool:
        return self.la_notified_on is None and self.la_informed_on is not None

    @property
    def registered(self) -> bool:
        return _is_registered(self.provider_type)

    @property
    def full_time(self) -> bool:
        return _is_full_time(self.hours_per_week)

    @property
    def hours_text(self) -> str | None:
        """'25 hours', '12.5 hours'; None when not recorded."""
        if self.hours_per_week is None:
            return None
        hours = self.hours_per_week.normalize()
        return f"{hours:f} hour{'' if hours == 1 else 's'}"

    @property
    def year_label(self) -> str | None:
        code = (self.year_group or "").strip()
        if not code:
            return None
        if code.upper() == "R":
            return "Reception"
        return f"Year {code}" if code.isdigit() else code


@dataclass(frozen=True)
class PlacementPage:
    rows: list[LaPlacement]
    total: int
    page: int
    pages: int


def placements_page(la_id: uuid.UUID, choice: PlacementFilter, *, today: date, limits: Limits) -> PlacementPage:
    """One page of the LA's placements (one query: the page, each row with the count of all; a page beyond the
    last takes a count and the last page too), the latest start first."""
    over_from, near_from = limit_days(today, limits)
    params: dict[str, Any] = {
        "la_id": la_id,
        "school_id": choice.school_id,
        "provider_id": choice.provider_id,
        "year_start": school_year_start(today),
        "told_since": recent_since(today),
        "today": today,
        "over_from": over_from,
        "near_from": near_from,
    }
    shape = _Shape(choice.school_id is not None, choice.provider_id is not None, choice.show, limits)
    page = max(1, choice.page)
    rows = _page_rows(shape, params, page)
    if rows or page == 1:
        total = rows[0].total if rows else 0
    else:
        # A page beyond the last: the count, and the last page is shown.
        total = db.session.scalar(_statements(shape).count, params) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        page = pages
        rows = _page_rows(shape, params, page) if total else []
    zone = school_zone()
    return PlacementPage([_line(row, today, limits, zone) for row in rows], total, page, pages)


@dataclass(frozen=True)
class _Shape:
    """What decides the page's SQL: which filters are on, and the limits (the values are bound parameters)."""

    by_school: bool
    by_provider: bool
    show: str
    limits: Limits


@dataclass(frozen=True)
class _Statements:
    page: Select[Any]
    count: Select[tuple[int]]


@lru_cache(maxsize=64)
def _statements(shape: _Shape) -> _Statements:
    """The page's query and its count for one shape, built once with bound parameters (la_id, school_id,
    provider_id, year_start, told_since, today, over_from, near_from, limit, offset): building a statement this
    size, and its cache key, was a tenth of the page's time."""
    where: list[ColumnElement[bool]] = [
        Placement.school_id.in_(schools_in(bindparam("la_id", type_=Uuid))),
        listed_since(bindparam("year_start", type_=Date)),
    ]
    if shape.by_school:
        where.append(Placement.school_id == bindparam("school_id", type_=Uuid))
    if shape.by_provider:
        where.append(Placement.provider_id == bindparam("provider_id", type_=Uuid))
    if shape.show == SHOW_RECENT:
        where.append(told_since(bindparam("told_since", type_=DateTime(timezone=True))))
    elif shape.show == SHOW_LIMITS:
        day = bindparam("today", type_=Date)
        where.append(
            flagged_on(day, bindparam("over_from", type_=Date), bindparam("near_from", type_=Date), shape.limits)
        )
    profile_join = ProviderProfile.organisation_id == Placement.provider_id
    school = aliased(Organisation)
    provider = aliased(Organisation)
    # The page's placements are picked on the placements table alone (the latest start first), then only those are
    # joined to their school, pupil and provider: the work of a page stays that of PAGE_SIZE rows as the LA grows.
    newest_first = (Placement.start_date.desc(), Placement.id.desc())
    on_page = (
        select(Placement.id, func.count().over().label("total"))
        .outerjoin(ProviderProfile, profile_join)
        .where(*where)
        .order_by(*newest_first)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery()
    )
    page = (
        select(
            Placement.id,
            on_page.c.total,
            school.name.label("school"),
            Pupil.first_name,
            Pupil.last_name,
            Pupil.preferred_name,
            Pupil.year_group,
            provider.name.label("provider"),
            ProviderProfile.provider_type,
            Placement.status,
            Placement.hours_per_week,
            Placement.timetable,
            Placement.start_date,
            Placement.end_date,
            Placement.max_end_date,
            Placement.la_notified_at,
            Placement.la_informed_on,
        )
        .join(on_page, on_page.c.id == Placement.id)
        .join(school, school.id == Placement.school_id)
        .join(provider, provider.id == Placement.provider_id)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .outerjoin(ProviderProfile, profile_join)
        .order_by(*newest_first)
    )
    count = (
        select(func.count(Placement.id)).select_from(Placement).outerjoin(ProviderProfile, profile_join).where(*where)
    )
    return _Statements(page, count)


def _page_rows(shape: _Shape, params: dict[str, Any], page: int) -> list[Row[Any]]:
    """The placements of page `page` with everything on them joined, each with `total`, how many placements the
    filters pick (the window's count, taken before the page's LIMIT)."""
    bound = {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    return list(db.session.execute(_statements(shape).page, bound))


def _line(row, today: date, limits: Limits, zone: ZoneInfo) -> LaPlacement:  # type: ignore[no-untyped-def]  # a Row of the query above
    sessions = len(row.timetable or [])
    preferred = (row.preferred_name or "").strip()
    name = f"{row.first_name} {row.last_name}"
    if preferred and preferred.lower() != row.first_name.strip().lower():
        name += f" (known as {preferred})"
    return LaPlacement(
        id=row.id,
        school=row.school,
        pupil=name,
        year_group=row.year_group,
        provider=row.provider,
        provider_type=row.provider_type,
        status=row.status,
        hours_per_week=row.hours_per_week,
        sessions=sessions,
        start_date=row.start_date,
        end_date=row.end_date,
        max_end_date=row.max_end_date,
        la_notified_on=row.la_notified_at.astimezone(zone).date() if row.la_notified_at is not None else None,
        la_informed_on=row.la_informed_on,
        weeks=_weeks_so_far(row.start_date, row.end_date, today),
        started=row.start_date <= today,
        limit=limit_flag(
            provider_type=row.provider_type,
            hours_per_week=row.hours_per_week,
            sessions=sessions,
            start=row.start_date,
            end=row.end_date,
            today=today,
            limits=limits,
        ),
    )


# --- counts for the homes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitCounts:
    over: int
    approaching: int


def limit_counts(school_filter: ColumnElement[bool], today: date, limits: Limits) -> LimitCounts:
    """How many current placements (of the schools `school_filter` picks) are over the limits and how many are
    approaching them: one query."""
    over = func.sum(case((flagged(today, limits, LimitState.OVER), 1), else_=0))
    near = func.sum(case((flagged(today, limits, LimitState.APPROACHING), 1), else_=0))
    row = db.session.execute(
        select(over, near)
        .select_from(Placement)
        .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Placement.provider_id)
        .where(school_filter, flagged(today, limits))
    ).one()
    return LimitCounts(int(row[0] or 0), int(row[1] or 0))


def recently_told_count(la_id: uuid.UUID, today: date) -> int:
    return (
        db.session.scalar(
            select(func.count(Placement.id)).where(Placement.school_id.in_(schools_in(la_id)), recently_told(today))
        )
        or 0
    )
