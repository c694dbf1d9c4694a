"""The providers the local authority's schools use, and the independent school registration line counted across
every school (issue 14). The law counts the pupils a provider teaches full time, whoever placed them, and no single
school can see them all: the LA can.

For each provider: its type, whether it is registered, the pupils it teaches full time (from every school), whether
that crosses the registration line and why, which of the LA's schools place pupils there now (names shown to the LA
only), and the counts and latest dates of safeguarding concerns and notices about the LA's schools' pupils there:
never a word of what they say.

A fixed number of queries whatever the number of providers: the providers, one grouped count of full-time pupils,
the schools placing there, and one grouped count each of concerns and notices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, or_, select

from shared.clock import today as school_day
from shared.evidence_catalogue import PROVIDER_TYPE_LABELS, ProviderType
from shared.extensions import db
from shared.models import (
    Concern,
    Notice,
    Organisation,
    Placement,
    ProviderProfile,
    Pupil,
    SchoolProvider,
    SendStatus,
)
from shared.services.attention.tasks import aware
from shared.services.local_authority.limits import is_registered
from shared.services.local_authority.placements import schools_in
from shared.services.placements.plans import FULL_TIME_HOURS, counted_for_registration, over_the_line

PAGE_SIZE = 100
SHOW_ALL, SHOW_THRESHOLD = "all", "threshold"


@dataclass
class LaProvider:
    id: uuid.UUID
    name: str
    provider_type: str | None
    full_time_pupils: int = 0
    vulnerable: bool = False  # one of its full-time pupils has an EHC plan or is looked after
    schools: list[str] = field(default_factory=list)  # the LA's schools placing pupils there now
    concerns: int = 0
    latest_concern: date | None = None  # the school's date of the latest sent to a school
    notices: int = 0
    latest_notice: date | None = None

    @property
    def registered(self) -> bool:
        return is_registered(self.provider_type)

    @property
    def type_label(self) -> str:
        if not self.provider_type:
            return "Not given yet"
        try:
            return PROVIDER_TYPE_LABELS[ProviderType(self.provider_type)]
        except ValueError:
            return self.provider_type

    @property
    def over_threshold(self) -> str | None:
        """Why the provider must register as an independent school, in words; None when it need not (or is
        registered)."""
        if self.registered:
            return None
        to_whom = over_the_line(self.full_time_pupils, self.vulnerable)
        if to_whom is None:
            return None
        return (
            f"Not registered, and gives full-time education (more than {FULL_TIME_HOURS} hours a week) to {to_whom}, "
            "counting every school's placements, planned and running: it would need to register as an independent "
            "school"
        )


@dataclass(frozen=True)
class ProviderPage:
    rows: list[LaProvider]
    total: int
    page: int
    pages: int
    over_threshold: int  # of all the LA's providers, whatever the page shows


def _day(moment: datetime | str | None) -> date | None:
    moment = aware(moment)
    return school_day(moment) if moment is not None else None


def _providers_of(la_id: uuid.UUID) -> dict[uuid.UUID, LaProvider]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, ProviderProfile.provider_type)
        .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(Organisation.id.in_(_used_by(la_id)))
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return {row.id: LaProvider(row.id, row.name, row.provider_type) for row in rows}


def _used_by(la_id: uuid.UUID):  # type: ignore[no-untyped-def]  # a subquery of provider ids
    return select(SchoolProvider.provider_id).where(SchoolProvider.school_id.in_(schools_in(la_id)))


def _count_full_time(la_id: uuid.UUID, providers: dict[uuid.UUID, LaProvider]) -> None:
    """The full-time pupils at each provider, from every school (plans.registration_warning, grouped)."""
    rows = db.session.execute(
        select(
            Placement.provider_id,
            func.count(func.distinct(Pupil.id)),
            func.max(case((or_(Pupil.send_status == SendStatus.EHCP, Pupil.looked_after), 1), else_=0)),
        )
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            Placement.provider_id.in_(_used_by(la_id)),
            Placement.hours_per_week > FULL_TIME_HOURS,
            counted_for_registration(),
        )
        .group_by(Placement.provider_id)
    ).all()
    for provider_id, pupils, vulnerable in rows:
        if provider_id in providers:
            providers[provider_id].full_time_pupils = pupils
            providers[provider_id].vulnerable = bool(vulnerable)


def _schools_placing(la_id: uuid.UUID, providers: dict[uuid.UUID, LaProvider]) -> None:
    rows = db.session.execute(
        select(Placement.provider_id, Organisation.name)
        .join(Organisation, Organisation.id == Placement.school_id)
        .where(Placement.school_id.in_(schools_in(la_id)), counted_for_registration())
        .distinct()
        .order_by(Organisation.name)
    ).all()
    for provider_id, school in rows:
        if provider_id in providers:
            providers[provider_id].schools.append(school)


def _safeguarding_counts(la_id: uuid.UUID, providers: dict[uuid.UUID, LaProvider]) -> None:
    """Counts and latest dates of concerns (sent to the school) and notices (shared with the provider) about the LA's
    schools' pupils at each provider. Only ids, counts and timestamps are read: never a column of content."""
    concerns = db.session.execute(
        select(Concern.provider_id, func.count(Concern.id), func.max(Concern.sent_at))
        .where(Concern.school_id.in_(schools_in(la_id)), Concern.sent_at.is_not(None))
        .group_by(Concern.provider_id)
    ).all()
    for provider_id, count, latest in concerns:
        if provider_id in providers:
            providers[provider_id].concerns, providers[provider_id].latest_concern = count, _day(latest)
    notices = db.session.execute(
        select(Notice.provider_id, func.count(Notice.id), func.max(Notice.shared_at))
        .where(Notice.school_id.in_(schools_in(la_id)))
        .group_by(Notice.provider_id)
    ).all()
    for provider_id, count, latest in notices:
        if provider_id in providers:
            providers[provider_id].notices, providers[provider_id].latest_notice = count, _day(latest)


def providers_page(la_id: uuid.UUID, *, show: str = SHOW_ALL, page: int = 1) -> ProviderPage:
    """The providers the LA's schools use, by name (those over the registration line only, with SHOW_THRESHOLD)."""
    providers = _providers_of(la_id)
    _count_full_time(la_id, providers)
    rows = list(providers.values())
    over = [row for row in rows if row.over_threshold]
    if show == SHOW_THRESHOLD:
        rows = over
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = {row.id: row for row in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]}
    _schools_placing(la_id, shown)
    _safeguarding_counts(la_id, shown)
    return ProviderPage(list(shown.values()), len(rows), page, pages, len(over))


def over_threshold_count(la_id: uuid.UUID) -> int:
    """How many providers the LA's schools use are over the registration line (for the LA's home): two queries."""
    providers = _providers_of(la_id)
    _count_full_time(la_id, providers)
    return sum(1 for row in providers.values() if row.over_threshold)
