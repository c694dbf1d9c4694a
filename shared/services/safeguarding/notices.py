"""Safeguarding notices: what the school DSL shares about one pupil with the DSLs of the providers where the pupil
is placed (an Operation Encompass notice, a police report summary, a child-protection plan or Early Help update,
the agencies involved).

- One Notice row per provider. Only a provider's DSL role opens it (the views make it a 404 for anyone else).
- The school DSL writes the provider-facing text; the original document goes only if the DSL chooses to attach it.
  Text and attachment are encrypted at rest (shared.crypto); one encrypted copy of the file per provider's notice,
  each bound to its own row.
- After its expiry the provider sees only that a notice existed and has expired: never its content or file.
- Messages say only that a notice is waiting, from which school, and where: never the pupil, the kind or the text
  (domain brief: notifications carry no sensitive content).
- The provider DSL must acknowledge each notice. One not acknowledged is chased once, before the next school day
  (see `chase_due_at`), and shown to the school DSL as overdue.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from sqlalchemy import ColumnElement, or_, select

from shared import audit, roles
from shared.clock import local_now, school_zone
from shared.extensions import db
from shared.links import Link
from shared.models import (
    HeadteacherDecision,
    Notice,
    Organisation,
    Placement,
    PlacementStatus,
    Pupil,
    SafeguardingFile,
    User,
    utcnow,
)
from shared.notifications import in_app, tell_role
from shared.services.errors import RuleBroken
from shared.services.placements.incidents import parse_time
from shared.services.safeguarding.access_log import record_opening
from shared.services.safeguarding.files import stored_safeguarding_file
from shared.services.school_calendar.days import is_bank_holiday, school_days
from shared.text import checked
from shared.uploads.reasons import UploadRefused

NOTICE_KINDS: dict[str, str] = {
    "operation_encompass": "Operation Encompass notice",
    "police_report": "Police safeguarding report summary",
    "cp_plan_update": "Child protection plan update",
    "early_help_update": "Early Help update",
    "agencies_involved": "Agencies involved",
}
CHILD_PRESENT: dict[str, str] = {"yes": "Yes", "no": "No", "not_known": "Not known"}
MAX_TEXT = 5000

# Chasing (domain brief: Operation Encompass information reaches the provider before the next school day). A notice
# shared on a school day before 16:00 is chased at 16:00 that day, while the provider's DSL is still at work; one
# shared later, or on a day without school, is chased at 07:30 on the next school day, before the children arrive.
CHASE_SAME_DAY_AT = time(16, 0)
CHASE_NEXT_DAY_AT = time(7, 30)
_LOOK_AHEAD_DAYS = 60  # a school's next school day is found within this many days (holidays included)

WAITING_TEXT = "A safeguarding notice from {school} is waiting for you on AP Portal"
CHASE_TEXT = "A safeguarding notice from {school} is still waiting for you on AP Portal. Please read and acknowledge it"
SUBJECT = "A safeguarding notice is waiting for you"


@dataclass
class NoticeDraft:
    """What the school DSL writes. Dates are school-local; the file is shared only when `attach` is ticked."""

    kind: str | None
    provider_text: str | None
    provider_ids: list[str] = field(default_factory=list)
    police_reference: str | None = None
    incident_on: date | None = None
    incident_time: str | None = None
    incident_place: str | None = None
    child_present: str | None = None
    expires_on: date | None = None
    attach: bool = False
    file: IO[bytes] | None = None
    filename: str | None = None


# --- who can be told -----------------------------------------------------------------------------------------------


def _sharable() -> list[ColumnElement[bool]]:
    """A placement a notice can go through: agreed and running, or planned and already agreed by the headteacher."""
    return [
        or_(
            Placement.status == PlacementStatus.ACTIVE,
            (Placement.status == PlacementStatus.PLANNED)
            & (Placement.headteacher_decision == HeadteacherDecision.AGREED),
        )
    ]


def pupils_to_share_about(school_id: uuid.UUID) -> list[Pupil]:
    return list(
        db.session.scalars(
            select(Pupil)
            .where(Pupil.id.in_(select(Placement.pupil_id).where(Placement.school_id == school_id, *_sharable())))
            .where(Pupil.school_id == school_id)
            .order_by(Pupil.last_name, Pupil.first_name)
        )
    )


def placements_to_share_with(pupil: Pupil) -> list[Placement]:
    """One placement per provider where the pupil is placed (the running one first), in the provider's name order."""
    rows = db.session.scalars(
        select(Placement)
        .where(Placement.pupil_id == pupil.id, Placement.school_id == pupil.school_id, *_sharable())
        .order_by(Placement.status == PlacementStatus.PLANNED, Placement.start_date.desc())
    )
    by_provider: dict[uuid.UUID, Placement] = {}
    for placement in rows:
        by_provider.setdefault(placement.provider_id, placement)
    return sorted(by_provider.values(), key=lambda p: p.provider.name)


# --- sharing -------------------------------------------------------------------------------------------------------


def _text(value: str | None, message: str | None, field_name: str, limit: int = MAX_TEXT) -> str | None:
    return checked(value, field_name, required=message, limit=limit)


def expiry_moment(day: date) -> datetime:
    """A notice that expires on a day can be opened until the end of that day, school time."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=school_zone()).astimezone(UTC)


def _incident_details(draft: NoticeDraft, now: datetime) -> str:
    if draft.incident_on is None:
        raise RuleBroken("Enter the date of the incident", "incident_on")
    try:
        at = parse_time(draft.incident_time)
    except RuleBroken as exc:
        raise RuleBroken(str(exc), "incident_time") from exc
    when = datetime.combine(draft.incident_on, at, tzinfo=school_zone())
    if when > local_now(now):
        raise RuleBroken("The date and time of the incident must be in the past", "incident_on")
    place = _text(draft.incident_place, "Say where the incident happened", "incident_place", 200)
    return f"{when.strftime('%A %-d %B %Y at %H:%M')}, {place}"


def share(
    school: Organisation, pupil: Pupil, draft: NoticeDraft, *, by: User, now: datetime | None = None
) -> tuple[list[Notice], list[Organisation]]:
    """Share a notice with each chosen provider (one row each, commits) and tell their DSLs that something is
    waiting. Returns (notices, providers with no DSL to tell). Raises RuleBroken or UploadRefused: then nothing is
    saved."""
    now = now or utcnow()
    if pupil.school_id != school.id:
        raise RuleBroken("Choose one of the school's pupils", "provider_ids")
    if draft.kind not in NOTICE_KINDS:
        raise RuleBroken("Choose what kind of notice this is", "kind")
    reference = details = present = None
    if draft.kind == "operation_encompass":
        reference = _text(draft.police_reference, "Enter the police reference", "police_reference", 100)
        details = _incident_details(draft, now)
        if draft.child_present not in CHILD_PRESENT:
            raise RuleBroken("Say whether the child was present", "child_present")
        present = draft.child_present
    text = _text(draft.provider_text, "Write what the provider needs to know", "provider_text")
    expires_at = None
    if draft.expires_on is not None:
        if draft.expires_on < local_now(now).date():
            raise RuleBroken("The expiry date must be today or in the future", "expires_on")
        expires_at = expiry_moment(draft.expires_on)

    allowed = {str(p.provider_id): p for p in placements_to_share_with(pupil)}
    chosen = list(dict.fromkeys(draft.provider_ids or []))
    if not chosen:
        raise RuleBroken("Select at least one provider", "provider_ids")
    if any(pid not in allowed for pid in chosen):
        raise RuleBroken("Select only providers where the pupil is placed", "provider_ids")
    content = None
    if draft.attach:
        content = draft.file.read() if draft.file is not None else b""
        if not content:
            raise RuleBroken("Select the document to attach, or untick 'Attach the original document'", "file")
    elif draft.file is not None and draft.file.read(1):
        raise RuleBroken(
            "Tick 'Attach the original document' to share the file, or share the notice without choosing a file",
            "file",
        )

    try:
        with ExitStack() as uploads:
            notices: list[Notice] = []
            files: dict[uuid.UUID, SafeguardingFile] = {}
            for provider_id in chosen:
                placement = allowed[provider_id]
                notice = Notice(
                    id=uuid.uuid4(),
                    school_id=school.id,
                    provider_id=placement.provider_id,
                    pupil_id=pupil.id,
                    placement_id=placement.id,
                    kind=draft.kind,
                    police_reference=reference,
                    incident_details=details,
                    child_present=present,
                    provider_text=text,
                    expires_at=expires_at,
                    shared_by_id=by.id,
                    shared_at=now,
                )
                notices.append(notice)
                if content is not None:
                    # One encrypted copy per provider's notice, each bound to its own row (purpose), so a provider's
                    # key to its file opens nothing else.
                    files[notice.id] = uploads.enter_context(
                        stored_safeguarding_file(
                            io.BytesIO(content),
                            draft.filename or "",
                            school_id=school.id,
                            by=by,
                            notice_id=notice.id,
                            uploaded_at=now,
                        )
                    )
            untold: list[Organisation] = []
            for notice in notices:
                db.session.add(notice)
                db.session.flush()
                if notice.id in files:
                    db.session.add(files[notice.id])
                audit.record("notice.shared", organisation=school, obj=notice, actor=by, kind=notice.kind)
                provider = db.session.get(Organisation, notice.provider_id)
                assert provider is not None, "a foreign key"
                told = tell_role(
                    provider,
                    roles.PROVIDER_DSL,
                    text=WAITING_TEXT.format(school=school.name),
                    link=Link.to("portal.notice_detail", notice_id=notice.id),
                    subject=SUBJECT,
                    urgent=True,
                )
                if not told:
                    untold.append(provider)
            db.session.commit()
    except UploadRefused:
        db.session.rollback()  # a refused file: nothing is kept
        raise
    return notices, untold


# --- reading and acknowledging ---------------------------------------------------------------------------------------


def is_expired(notice: Notice, now: datetime | None = None) -> bool:
    return notice.expires_at is not None and (now or utcnow()) >= notice.expires_at


def attachment_of(notice: Notice) -> SafeguardingFile | None:
    return db.session.scalar(
        select(SafeguardingFile).where(SafeguardingFile.notice_id == notice.id).order_by(SafeguardingFile.uploaded_at)
    )


def record_opened(notice: Notice, *, by: User) -> None:
    """Every view of a notice is logged (special category data), against the organisation of whoever opened it."""
    record_opening("notice.opened", notice, organisation=by.organisation, by=by)


def acknowledge(notice: Notice, *, by: User, now: datetime | None = None) -> None:
    """The provider DSL has read the notice. The school DSL who shared it is told in the app."""
    now = now or utcnow()
    if notice.acknowledged_at is not None:
        raise RuleBroken("This notice has already been acknowledged", "submit")
    if is_expired(notice, now):
        raise RuleBroken("This notice has expired, so it can no longer be acknowledged", "submit")
    notice.acknowledged_at = now
    notice.acknowledged_by_id = by.id
    provider = db.session.get(Organisation, notice.provider_id)
    assert provider is not None, "a foreign key"
    audit.record("notice.acknowledged", organisation=provider, obj=notice, actor=by)
    _tell_sharer(notice, f"{provider.name} has acknowledged a safeguarding notice you shared")
    db.session.commit()


def _tell_sharer(notice: Notice, text: str) -> None:
    sharer = db.session.get(User, notice.shared_by_id)
    if sharer is not None and sharer.active:
        in_app(notice.school_id, sharer.id, text=text, link=Link.to("school_admin.notice_detail", notice_id=notice.id))


def notices_for_school(school_id: uuid.UUID) -> list[Notice]:
    return list(
        db.session.scalars(select(Notice).where(Notice.school_id == school_id).order_by(Notice.shared_at.desc()))
    )


def notices_for_provider(provider_id: uuid.UUID) -> list[Notice]:
    """Not yet acknowledged first, then newest first."""
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.provider_id == provider_id)
            .order_by(Notice.acknowledged_at.is_not(None), Notice.shared_at.desc())
        )
    )


def pupils_by_id(notices: Iterable[Notice]) -> dict[uuid.UUID, Pupil]:
    ids = {n.pupil_id for n in notices}
    return {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.id.in_(ids)))} if ids else {}


def organisations_by_id(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Organisation]:
    ids = set(ids)
    return {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}


def names_of(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all()) if ids else {}


# --- chasing -------------------------------------------------------------------------------------------------------


def _is_school_day(school_id: uuid.UUID, day: date) -> bool:
    return next(school_days(school_id, day, day), None) is not None


def _next_school_day(school_id: uuid.UUID, after: date) -> date:
    """The school's next school day after `after`; with no term entered that far ahead, the next weekday that is
    not a bank holiday (so a notice is still chased when the calendar has not been filled in)."""
    found = next(school_days(school_id, after + timedelta(days=1), after + timedelta(days=_LOOK_AHEAD_DAYS)), None)
    if found is not None:
        return found
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or is_bank_holiday(day):
        day += timedelta(days=1)
    return day


def chase_due_at(notice: Notice) -> datetime:
    """When an unacknowledged notice is chased: 16:00 on the day it was shared if that is a school day and it was
    shared before 16:00, otherwise 07:30 on the next school day (school time)."""
    shared = local_now(notice.shared_at)
    if shared.time() < CHASE_SAME_DAY_AT and _is_school_day(notice.school_id, shared.date()):
        return datetime.combine(shared.date(), CHASE_SAME_DAY_AT, tzinfo=school_zone())
    return datetime.combine(_next_school_day(notice.school_id, shared.date()), CHASE_NEXT_DAY_AT, tzinfo=school_zone())


def is_overdue(notice: Notice, now: datetime | None = None) -> bool:
    """Not acknowledged, and already chased or past the time it is chased: the school DSL sees it in red."""
    if notice.acknowledged_at is not None:
        return False
    return notice.chased_at is not None or (now or utcnow()) >= chase_due_at(notice)


def chase_unacknowledged(now: datetime | None = None) -> int:
    """Chase, once, every notice its provider's DSL has not acknowledged by its chase time: the provider's DSLs are
    told again (no content) and the school DSL who shared it is told in the app. Expired notices are not chased
    (no one can open them). Run every 15 minutes by the worker; safe to run as often as you like."""
    now = now or utcnow()
    waiting = db.session.scalars(
        select(Notice).where(
            Notice.acknowledged_at.is_(None),
            Notice.chased_at.is_(None),
            or_(Notice.expires_at.is_(None), Notice.expires_at > now),
        )
    ).all()
    chased = 0
    for notice in waiting:
        if now < chase_due_at(notice):
            continue
        school = db.session.get(Organisation, notice.school_id)
        provider = db.session.get(Organisation, notice.provider_id)
        assert school is not None and provider is not None, "foreign keys"
        notice.chased_at = now
        tell_role(
            provider,
            roles.PROVIDER_DSL,
            text=CHASE_TEXT.format(school=school.name),
            link=Link.to("portal.notice_detail", notice_id=notice.id),
            subject=SUBJECT,
            urgent=True,
        )
        _tell_sharer(notice, f"A safeguarding notice you shared with {provider.name} has not been acknowledged yet")
        audit.record("notice.chased", organisation=school, obj=notice)
        chased += 1
    db.session.commit()
    return chased
