"""The DfE's intended limits on schools' use of unregistered alternative provision (issue 14): a pupil may be at a
provider that is not a registered school (its type not in plans.NOT_NEEDING_REGISTRATION) full time for no more than
LA_UNREGISTERED_FULL_TIME_WEEKS weeks (12), or part time for no more than LA_UNREGISTERED_PART_TIME_SESSIONS
sessions a week (4). Both are configurable (shared.config) until the limits are final.

"Full time" is the registration line's: more than plans.FULL_TIME_HOURS (18) hours a week; a placement with no hours
recorded is judged by its sessions. A full-time placement is "approaching" the limit in the APPROACHING_WEEKS (2)
before it, and "over" once it has run beyond it; a part-time one with more sessions than the limit is over from its
first day (there is nothing to approach).

The rule is written twice, once for one placement (`limit_flag`, what a page shows) and once as SQL (`flagged`,
what lists filter and homes count, a fixed number of queries whatever the number of placements); the tests hold the
two to the same answers. Counting and filtering are for current placements only (agreed and planned, running, or
ended on a day still to come): for those the last day counted is today.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_

from shared.models import HeadteacherDecision, Placement, PlacementStatus, ProviderProfile
from shared.services.placements.plans import FULL_TIME_HOURS, NOT_NEEDING_REGISTRATION

APPROACHING_WEEKS = 2


class LimitState(enum.StrEnum):
    OVER = "over"
    APPROACHING = "approaching"


@dataclass(frozen=True)
class Limits:
    full_time_weeks: int
    part_time_sessions: int

    @classmethod
    def configured(cls) -> Limits:
        config = current_app.config
        return cls(config["LA_UNREGISTERED_FULL_TIME_WEEKS"], config["LA_UNREGISTERED_PART_TIME_SESSIONS"])


@dataclass(frozen=True)
class LimitFlag:
    state: LimitState
    reason: str  # in words, for the page


def is_registered(provider_type: str | None) -> bool:
    """A school, PRU, registered independent school or FE college: the limits (and the registration line) do not
    apply. A provider that has not given its type yet is treated as not registered."""
    return bool(provider_type) and provider_type in NOT_NEEDING_REGISTRATION


def is_full_time(hours_per_week: Decimal | None) -> bool:
    return hours_per_week is not None and hours_per_week > FULL_TIME_HOURS


def weeks_so_far(start: date, end: date | None, today: date) -> int:
    """Whole weeks the placement has run: from its start to today, or to its end if that came first (0 before it
    starts)."""
    last = min(today, end) if end is not None else today
    return max(0, (last - start).days // 7)


def _day(day: date) -> str:
    return day.strftime("%-d %B %Y")


def limit_flag(
    *,
    provider_type: str | None,
    hours_per_week: Decimal | None,
    sessions: int,
    start: date,
    end: date | None,
    today: date,
    limits: Limits,
) -> LimitFlag | None:
    """Whether one placement is over or approaching the limits, and why in words; None when neither (or the
    provider is registered)."""
    if is_registered(provider_type):
        return None
    if not is_full_time(hours_per_week):
        if sessions > limits.part_time_sessions:
            return LimitFlag(
                LimitState.OVER,
                f"Part time at an unregistered provider for {sessions} sessions a week: more than the "
                f"{limits.part_time_sessions} sessions a week the DfE intends as the limit",
            )
        return None
    limit_day = start + timedelta(weeks=limits.full_time_weeks)  # the first day beyond the limit
    last = min(today, end) if end is not None else today
    ran = weeks_so_far(start, end, today)
    past = end is not None and end < today
    if last >= limit_day:
        return LimitFlag(
            LimitState.OVER,
            f"{'Ran' if past else 'Full time'} at an unregistered provider for {ran} weeks"
            f"{' full time' if past else ''}: "
            f"beyond the {limits.full_time_weeks} weeks the DfE intends as the limit (reached on {_day(limit_day)})",
        )
    if last >= limit_day - timedelta(weeks=APPROACHING_WEEKS) and not past:
        return LimitFlag(
            LimitState.APPROACHING,
            f"Full time at an unregistered provider for {ran} weeks: it reaches the {limits.full_time_weeks} weeks "
            f"the DfE intends as the limit on {_day(limit_day)}",
        )
    return None


# --- the same rule as SQL, for current placements -------------------------------------------------------------------


def current(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Placements the limits are counted for: agreed and planned, running, or ended on a day still to come."""
    return or_(
        Placement.status == PlacementStatus.ACTIVE,
        and_(Placement.status == PlacementStatus.PLANNED, Placement.headteacher_decision == HeadteacherDecision.AGREED),
        and_(Placement.status == PlacementStatus.ENDED, Placement.end_date >= today),
    )


def unregistered() -> ColumnElement[bool]:
    """The provider (ProviderProfile, joined on the placement's provider) is not registered."""
    return or_(
        ProviderProfile.provider_type.is_(None),
        ProviderProfile.provider_type.not_in([kind.value for kind in NOT_NEEDING_REGISTRATION]),
    )


def sessions_a_week() -> ColumnElement[int]:
    """The number of sessions in the placement's timetable (a JSON list), on SQLite and PostgreSQL alike."""
    return func.json_array_length(Placement.timetable)


def flagged(today: date, limits: Limits, state: LimitState | None = None) -> ColumnElement[bool]:
    """A current placement at an unregistered provider (ProviderProfile joined) that is over the limits, or
    approaching them (state APPROACHING), or either (None): `limit_flag` for current placements, as SQL."""
    return flagged_on(today, *limit_days(today, limits), limits, state)


def limit_days(today: date, limits: Limits) -> tuple[date, date]:
    """The latest start that is beyond the full-time limit today, and the latest that is beyond or near it."""
    over_from = today - timedelta(weeks=limits.full_time_weeks)  # started on or before: beyond the limit today
    return over_from, over_from + timedelta(weeks=APPROACHING_WEEKS)


def flagged_on(
    today: date | ColumnElement[date],
    over_from: date | ColumnElement[date],
    near_from: date | ColumnElement[date],
    limits: Limits,
    state: LimitState | None = None,
) -> ColumnElement[bool]:
    """`flagged` with its days given (limit_days), as values or as bound parameters: a statement built once with
    parameters serves every day."""
    full_time = Placement.hours_per_week > FULL_TIME_HOURS
    part_time = or_(Placement.hours_per_week.is_(None), Placement.hours_per_week <= FULL_TIME_HOURS)
    part_time_over = and_(part_time, sessions_a_week() > limits.part_time_sessions)
    if state == LimitState.OVER:
        rule = or_(part_time_over, and_(full_time, Placement.start_date <= over_from))
    elif state == LimitState.APPROACHING:
        rule = and_(full_time, Placement.start_date > over_from, Placement.start_date <= near_from)
    else:
        rule = or_(part_time_over, and_(full_time, Placement.start_date <= near_from))
    return and_(current(today), unregistered(), rule)
