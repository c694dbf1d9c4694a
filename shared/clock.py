"""One clock. "Now" is a UTC instant; "today" is the school's today, in its time zone (SCHOOL_TIMEZONE, Europe/London
by default), never the server's date: a server in UTC would start Monday at 1 a.m. London time all summer.

Every rule that asks what day or time it is asks here (tests freeze these with freezegun)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from shared.models.base import utcnow

__all__ = ["local_now", "school_midnight", "school_zone", "today", "utcnow"]


def school_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SCHOOL_TIMEZONE"])


def local_now(now: datetime | None = None) -> datetime:
    """The moment (now by default) on the school's clock."""
    return (now or utcnow()).astimezone(school_zone())


def today(now: datetime | None = None) -> date:
    """The school's date at that moment (now by default)."""
    return local_now(now).date()


def school_midnight(day: date) -> datetime:
    """The instant the school's day begins (not UTC midnight: in summer London is an hour ahead)."""
    return datetime.combine(day, time.min, tzinfo=school_zone())
