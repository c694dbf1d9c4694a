"""Safeguarding concerns, provider -> school.

- Anyone at the provider who works with the pupil (provider staff, the provider's DSL) raises a concern about a
  pupil placed with the provider. A member of staff's concern goes to their own DSL first ("raised", route
  "staff"); the provider's DSL may add to it and sends it to the school. A concern raised by the provider's DSL goes
  to the school at once (route "dsl"). A provider with no DSL on AP Portal cannot hold a concern back: a staff
  concern then goes straight to the school.
- On sending, every school DSL (and deputy) is told at once. Unacknowledged after CONCERN_ESCALATION_MINUTES of
  school hours, it escalates once: to the headteacher, and again to the DSLs.
- The school DSL acknowledges, records discussions, decisions (the rationale is required, including for a decision
  not to refer), referrals, shares back what the provider's DSL needs, and closes. Nothing is edited or deleted.

Notifications never carry content: not the pupil's name, not the category, not a word of the text (domain brief).
Audit details never carry content either. Every step is timestamped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, overload

from flask import current_app
from sqlalchemy import select

from shared import audit, roles
from shared.clock import local_now, school_zone
from shared.extensions import db
from shared.links import Link
from shared.models import (
    AuditEvent,
    Concern,
    ConcernEntry,
    Organisation,
    Placement,
    Pupil,
    SafeguardingFile,
    User,
    utcnow,
)
from shared.notifications import people_with_role, tell_role, tell_roles
from shared.services.errors import RuleBroken
from shared.services.placements import risk
from shared.services.placements.incidents import parse_time
from shared.services.placements.plans import provider_placements
from shared.services.safeguarding.access_log import record_opening
from shared.services.safeguarding.files import stored_safeguarding_file
from shared.services.school_calendar.days import is_bank_holiday, school_days
from shared.text import checked
from shared.uploads.reasons import UploadRefused

CATEGORIES: dict[str, str] = {
    "physical_abuse": "Physical abuse",
    "emotional_abuse": "Emotional abuse",
    "sexual_abuse": "Sexual abuse",
    "neglect": "Neglect",
    "self_harm": "Self-harm",
    "mental_health": "Mental health",
    "online_safety": "Online safety",
    "child_on_child": "Child-on-child abuse",
    "exploitation": "Exploitation (CSE or CCE)",
    "radicalisation": "Radicalisation",
    "domestic_abuse": "Domestic abuse",
    "missing_education": "Missing from education",
    "other": "Other",
}
DECISIONS: dict[str, str] = {
    "refer": "Refer (to children's social care, the police or another agency)",
    "no_referral": "No referral",
    "early_help": "Early Help",
    "monitor": "Monitor",
}
REFERRED_TO: dict[str, str] = {
    "social_care": "Children's social care",
    "police": "Police",
    "early_help": "Early Help",
    "other": "Other",
}
ENTRY_KINDS: dict[str, str] = {
    "note": "Added by the provider's DSL",
    "discussion": "Discussion",
    "decision": "Decision",
    "referral": "Referral",
}
# How each side names where a concern stands.
SCHOOL_STATES = {"sent": "Not acknowledged", "acknowledged": "Open", "closed": "Closed"}
PROVIDER_STATES = {
    "raised": "Waiting for you to send it to the school",
    "sent": "Sent to the school, not acknowledged yet",
    "acknowledged": "Acknowledged by the school",
    "closed": "Closed by the school",
}

MAX_TEXT = 5000
# School hours for escalation, school-local, on the school's school days (shared.services.school_calendar.days).
# Overridable in app config (CONCERN_SCHOOL_DAY_START / _END as "HH:MM"). Outside them the clock stops: a concern
# sent at 16:50 on a Friday escalates at 08:20 on Monday (30 minutes).
SCHOOL_DAY_START = "08:00"
SCHOOL_DAY_END = "17:00"
# How far ahead to look for school days (a summer holiday is about six weeks).
_LOOKAHEAD_DAYS = 60


@dataclass
class ConcernReport:
    """What the provider says. The date and time are school-local."""

    placement_id: str | None
    occurred_on: date | None
    occurred_time: str | None
    location: str | None
    category: str | None
    what_happened: str | None
    childs_words: str | None
    actions_taken: str | None
    who_told: str | None


# --- helpers ---------------------------------------------------------------------------------------------------


def _required(value: str | None, message: str, field_name: str) -> str:
    return checked(value, field_name, required=message, limit=MAX_TEXT)


def _limited(value: str | None, field_name: str) -> str | None:
    return checked(value, field_name, limit=MAX_TEXT)


def _org(org_id: uuid.UUID) -> Organisation:
    """The school or provider a concern's foreign key points at."""
    organisation = db.session.get(Organisation, org_id)
    assert organisation is not None, "a foreign key"
    return organisation


@overload
def local(moment: datetime) -> datetime: ...
@overload
def local(moment: None) -> None: ...
def local(moment: datetime | None) -> datetime | None:
    return local_now(moment) if moment is not None else None


# --- raising (provider) ----------------------------------------------------------------------------------------


def raisable_placements(provider_id: uuid.UUID, today: date | None = None) -> list[Placement]:
    """The pupils a provider may raise a concern about: its placements it can see (running, agreed, or ended on a
    date still to come)."""
    return provider_placements(provider_id, today or local_now().date())


def is_provider_dsl(provider: Organisation, user_id: uuid.UUID) -> bool:
    return any(person.id == user_id for person in people_with_role(provider, roles.PROVIDER_DSL))


def raise_concern(
    provider: Organisation,
    report: ConcernReport,
    *,
    by: User,
    attachment: IO[bytes] | None = None,
    filename: str | None = None,
    now: datetime | None = None,
) -> Concern:
    """Record a concern (commits). Raised by the provider's DSL, or by staff at a provider with no DSL on AP
    Portal, it goes to the school at once; otherwise to the provider's DSL. Raises RuleBroken with its field."""
    now = now or utcnow()
    allowed = {str(p.id): p for p in raisable_placements(provider.id, local_now(now).date())}
    placement = allowed.get(report.placement_id or "")
    if placement is None:
        raise RuleBroken(
            "Choose a pupil placed with you" if report.placement_id else "Choose the pupil", "placement_id"
        )
    if report.occurred_on is None:
        raise RuleBroken("Enter the date", "occurred_on")
    try:
        at = parse_time(report.occurred_time)
    except RuleBroken:
        raise RuleBroken("Enter the time, like 14:30 or 2:30pm", "occurred_time") from None
    occurred_at = datetime.combine(report.occurred_on, at, tzinfo=school_zone()).astimezone(UTC)
    if occurred_at > now:
        raise RuleBroken("The date and time must be in the past", "occurred_on")
    location = _required(report.location, "Say where it happened", "location")
    if len(location) > 200:
        raise RuleBroken("Keep where it happened to 200 characters or fewer", "location")
    if report.category not in CATEGORIES:
        raise RuleBroken("Choose the kind of concern", "category")
    concern = Concern(
        school_id=placement.school_id,
        provider_id=provider.id,
        placement_id=placement.id,
        pupil_id=placement.pupil_id,
        status="raised",
        occurred_at=occurred_at,
        location=location,
        category=report.category,
        what_happened=_required(report.what_happened, "Say what you saw or heard", "what_happened"),
        childs_words=_limited(report.childs_words, "childs_words"),
        actions_taken=_required(report.actions_taken, "Say what you have done so far", "actions_taken"),
        who_told=_limited(report.who_told, "who_told"),
        raised_by_id=by.id,
        raised_at=now,
    )
    db.session.add(concern)
    db.session.flush()
    by_dsl = is_provider_dsl(provider, by.id)
    audit.record("concern.raised", organisation=provider, obj=concern, actor=by, route="dsl" if by_dsl else "staff")
    if by_dsl or not people_with_role(provider, roles.PROVIDER_DSL):
        _send(concern, provider, by=by, now=now)
    else:
        tell_role(
            provider,
            roles.PROVIDER_DSL,
            text="A member of your staff has raised a safeguarding concern. It is waiting for you on AP Portal.",
            link=Link.to("portal.concern_detail", concern_id=concern.id),
            subject="A safeguarding concern is waiting for you",
            urgent=True,
        )
    if attachment is not None and filename:
        _attach(concern, provider, attachment, filename, by=by)
    else:
        db.session.commit()
    return concern


def _attach(concern: Concern, provider: Organisation, stream: IO[bytes], filename: str, *, by: User) -> None:
    """Store one encrypted attachment with the concern and commit both; a refused file saves nothing."""
    try:
        with stored_safeguarding_file(
            stream, filename, school_id=concern.school_id, by=by, concern_id=concern.id
        ) as row:
            db.session.add(row)
            audit.record(
                "concern.attachment_added",
                organisation=provider,
                obj=concern,
                actor=by,
                virus_scanned=row.virus_scanned,
            )
            db.session.commit()
    except UploadRefused as refusal:
        db.session.rollback()
        raise RuleBroken(f"{refusal.message} Nothing was saved: send the concern again.", "attachment") from None


def add_to_concern(concern: Concern, text: str | None, *, by: User, now: datetime | None = None) -> ConcernEntry:
    """The provider's DSL adds to a concern from their staff before sending it on (kept as its own entry)."""
    if concern.status != "raised":
        raise RuleBroken("This concern has already been sent to the school. Raise a new concern to add to it", "body")
    entry = ConcernEntry(
        concern_id=concern.id,
        kind="note",
        body=_required(text, "Write what you want to add", "body"),
        recorded_by_id=by.id,
        recorded_at=now or utcnow(),
    )
    db.session.add(entry)
    audit.record("concern.entry_recorded", organisation=_org(concern.provider_id), obj=concern, actor=by, kind="note")
    db.session.commit()
    return entry


def send_to_school(concern: Concern, *, by: User, now: datetime | None = None) -> None:
    """The provider's DSL sends a concern from their staff to the school (commits)."""
    if concern.status != "raised":
        raise RuleBroken("This concern has already been sent to the school", "submit")
    _send(concern, _org(concern.provider_id), by=by, now=now or utcnow())
    db.session.commit()


def _send(concern: Concern, provider: Organisation, *, by: User, now: datetime) -> None:
    concern.status = "sent"
    concern.sent_at = now
    concern.sent_by_id = by.id
    audit.record("concern.sent", organisation=provider, obj=concern, actor=by)
    risk.reopen([concern.placement_id], because="concern", now=now)
    tell_role(
        _org(concern.school_id),
        roles.DSL,
        text=f"{provider.name} has sent a safeguarding concern. It is waiting for you on AP Portal.",
        link=Link.to("school_admin.concern_detail", concern_id=concern.id),
        subject="A safeguarding concern is waiting for you",
        urgent=True,
    )


# --- escalation ------------------------------------------------------------------------------------------------


def _clock(name: str, default: str) -> time:
    hours, minutes = str(current_app.config.get(name, default)).split(":")
    return time(int(hours), int(minutes))


def escalation_due(concern: Concern) -> datetime:
    """When a sent concern escalates if nobody acknowledges it: CONCERN_ESCALATION_MINUTES counted in school hours
    (SCHOOL_DAY_START to SCHOOL_DAY_END, school-local, on school days). A school with no term dates set up for the
    weeks ahead counts weekdays that are not bank holidays, so a concern never waits for ever."""
    assert concern.sent_at is not None, "only a sent concern escalates (escalate_unacknowledged asks for sent_at)"
    remaining = timedelta(minutes=current_app.config["CONCERN_ESCALATION_MINUTES"])
    opens, closes = (
        _clock("CONCERN_SCHOOL_DAY_START", SCHOOL_DAY_START),
        _clock("CONCERN_SCHOOL_DAY_END", SCHOOL_DAY_END),
    )
    sent = local_now(concern.sent_at)
    last = sent.date() + timedelta(days=_LOOKAHEAD_DAYS)
    days = list(school_days(concern.school_id, sent.date(), last))
    if not days:
        days = [
            sent.date() + timedelta(days=n)
            for n in range(_LOOKAHEAD_DAYS + 1)
            if (sent.date() + timedelta(days=n)).weekday() < 5 and not is_bank_holiday(sent.date() + timedelta(days=n))
        ]
    zone = school_zone()
    for day in days:
        start = max(datetime.combine(day, opens, tzinfo=zone), sent)
        end = datetime.combine(day, closes, tzinfo=zone)
        if start >= end:
            continue
        if start + remaining <= end:
            return (start + remaining).astimezone(UTC)
        remaining -= end - start
    # Nothing in school hours for two months: escalate after the plain number of minutes rather than never.
    return concern.sent_at + timedelta(minutes=current_app.config["CONCERN_ESCALATION_MINUTES"])


def escalate_unacknowledged(now: datetime | None = None) -> int:
    """Escalate (once) each sent concern nobody has acknowledged in time; how many escalated. Run every minute."""
    now = now or utcnow()
    minutes = current_app.config["CONCERN_ESCALATION_MINUTES"]
    waiting = db.session.scalars(
        select(Concern).where(
            Concern.status == "sent",
            Concern.acknowledged_at.is_(None),
            Concern.escalated_at.is_(None),
            Concern.sent_at.is_not(None),
            Concern.sent_at <= now - timedelta(minutes=minutes),
        )
    ).all()
    count = 0
    for concern in waiting:
        if escalation_due(concern) > now:
            continue
        school = _org(concern.school_id)
        provider = _org(concern.provider_id)
        link = Link.to("school_admin.concern_detail", concern_id=concern.id)
        text = (
            f"A safeguarding concern from {provider.name} has not been acknowledged by a DSL within {minutes} "
            "minutes. It is waiting on AP Portal."
        )
        subject = "A safeguarding concern has not been acknowledged"
        # Someone who is both headteacher and DSL is told once.
        tell_roles(school, (roles.HEADTEACHER, roles.DSL), text=text, link=link, subject=subject, urgent=True)
        concern.escalated_at = now
        audit.record("concern.escalated", organisation=school, obj=concern, actor=None, minutes=minutes)
        db.session.commit()
        count += 1
    return count


# --- the school DSL's work -------------------------------------------------------------------------------------


def _open_for_work(concern: Concern, field_name: str) -> None:
    if concern.status == "closed":
        raise RuleBroken("This concern is closed. Nothing more can be recorded on it", field_name)
    if concern.status not in ("sent", "acknowledged"):
        raise RuleBroken("This concern has not been sent to the school", field_name)


def acknowledge(concern: Concern, *, by: User, now: datetime | None = None, commit: bool = True) -> None:
    if concern.acknowledged_at is not None:
        raise RuleBroken("This concern has already been acknowledged", "submit")
    _open_for_work(concern, "submit")
    concern.status = "acknowledged"
    concern.acknowledged_at = now or utcnow()
    concern.acknowledged_by_id = by.id
    audit.record("concern.acknowledged", organisation=_org(concern.school_id), obj=concern, actor=by)
    if commit:
        db.session.commit()


def record_entry(
    concern: Concern,
    kind: str,
    body: str | None,
    *,
    by: User,
    decision: str | None = None,
    referred_to: str | None = None,
    reference: str | None = None,
    outcome: str | None = None,
    now: datetime | None = None,
) -> ConcernEntry:
    """A discussion, a decision (its rationale required, a decision not to refer included) or a referral's outcome.
    Recording one acknowledges the concern if nobody had yet.

    A referral is made one way: the decision "Refer" says who to (and the reference), in the same entry. A
    "referral" entry records what came of it later (an outcome, see record_referral_outcome)."""
    now = now or utcnow()
    _open_for_work(concern, "body")
    if kind == "discussion":
        text = _required(body, "Say what was discussed, and with whom", "body")
    elif kind == "decision":
        if decision not in DECISIONS:
            raise RuleBroken("Choose the decision", "decision")
        if decision == "refer" and referred_to not in REFERRED_TO:
            raise RuleBroken("Choose who the referral was made to", "referred_to")
        if decision != "refer" and (referred_to or (reference or "").strip()):
            raise RuleBroken(
                "Who it was referred to goes with a decision to refer: choose Refer, or leave it empty", "referred_to"
            )
        text = _required(
            body, "Give the reason for this decision. A decision not to refer needs its reason too", "body"
        )
    elif kind == "referral":
        if referred_to not in REFERRED_TO:
            raise RuleBroken("Choose who the referral was made to", "referred_to")
        text = _limited(body, "body") or ""
    else:
        raise RuleBroken("Choose what to record", "body")
    if concern.acknowledged_at is None:
        acknowledge(concern, by=by, now=now, commit=False)
    entry = ConcernEntry(
        concern_id=concern.id,
        kind=kind,
        decision=decision if kind == "decision" else None,
        referred_to=referred_to if kind == "referral" or decision == "refer" else None,
        body=text,
        reference=_limited(reference, "reference") if kind == "referral" or decision == "refer" else None,
        outcome=_limited(outcome, "outcome") if kind == "referral" else None,
        recorded_by_id=by.id,
        recorded_at=now,
    )
    db.session.add(entry)
    audit.record("concern.entry_recorded", organisation=_org(concern.school_id), obj=concern, actor=by, kind=kind)
    db.session.commit()
    return entry


def referral_made(concern: Concern) -> ConcernEntry | None:
    """The latest referral on the concern (a decision to refer, or a referral recorded before decisions said who
    to), or None: what an outcome is recorded against."""
    made = [e for e in concern.entries if e.referred_to and (e.kind == "referral" or e.decision == "refer")]
    return max(made, key=lambda e: e.recorded_at) if made else None


def record_referral_outcome(
    concern: Concern, outcome: str | None, *, by: User, now: datetime | None = None
) -> ConcernEntry:
    """What came of the referral the DSL decided to make (it is added as its own entry; nothing is overwritten)."""
    _open_for_work(concern, "outcome")
    made = referral_made(concern)
    if made is None:
        raise RuleBroken("Record a decision to refer, saying who to, before its outcome", "outcome")
    text = _required(outcome, "Say what came of the referral", "outcome")
    return record_entry(
        concern, "referral", None, referred_to=made.referred_to, reference=made.reference, outcome=text, by=by, now=now
    )


def share_back(concern: Concern, text: str | None, *, by: User, now: datetime | None = None) -> None:
    """What the school's DSL chooses to tell the provider's DSL. Each share is added below the last, dated, so
    nothing shared is ever overwritten."""
    now = now or utcnow()
    _open_for_work(concern, "shared_text")
    text = _required(text, "Write what you want the provider's DSL to know", "shared_text")
    stamped = f"{local(now).strftime('%-d %B %Y at %H:%M')}: {text}"
    concern.shared_back = f"{concern.shared_back}\n\n{stamped}" if concern.shared_back else stamped
    if concern.acknowledged_at is None:
        acknowledge(concern, by=by, now=now, commit=False)
    audit.record("concern.shared_back", organisation=_org(concern.school_id), obj=concern, actor=by)
    tell_role(
        _org(concern.provider_id),
        roles.PROVIDER_DSL,
        text="The school's DSL has shared an update about a safeguarding concern. It is waiting for you on AP Portal.",
        link=Link.to("portal.concern_detail", concern_id=concern.id),
        subject="An update about a safeguarding concern",
        urgent=True,
    )
    db.session.commit()


def close(concern: Concern, *, by: User, now: datetime | None = None) -> None:
    _open_for_work(concern, "submit")
    if not any(entry.kind == "decision" for entry in concern.entries):
        raise RuleBroken("Record a decision, with its reason, before closing the concern", "submit")
    now = now or utcnow()
    if concern.acknowledged_at is None:
        acknowledge(concern, by=by, now=now, commit=False)
    concern.status = "closed"
    concern.closed_at = now
    concern.closed_by_id = by.id
    audit.record("concern.closed", organisation=_org(concern.school_id), obj=concern, actor=by)
    db.session.commit()


# --- reading ---------------------------------------------------------------------------------------------------


def record_opened(concern: Concern, organisation: Organisation, *, by: User) -> None:
    """Every opening of a concern is audited, once per person per few minutes (who and when; the school's DSL can
    see the list)."""
    record_opening("concern.opened", concern, organisation=organisation, by=by)


def openings(concern: Concern) -> list[tuple[datetime, str, str]]:
    """Who opened the concern and when, oldest first: (when, person, organisation)."""
    rows = db.session.execute(
        select(AuditEvent.created_at, User.name, Organisation.name)
        .join(User, User.id == AuditEvent.actor_user_id, isouter=True)
        .join(Organisation, Organisation.id == AuditEvent.organisation_id, isouter=True)
        .where(
            AuditEvent.action == "concern.opened",
            AuditEvent.object_type == "Concern",
            AuditEvent.object_id == str(concern.id),
        )
        .order_by(AuditEvent.created_at)
    ).all()
    return [(when, name or "Unknown", org or "") for when, name, org in rows]


def school_queue(school_id: uuid.UUID, *, escalated_only: bool = False) -> list[Concern]:
    """Sent concerns: not acknowledged first (oldest first), then open (oldest first), then closed (newest first)."""
    query = select(Concern).where(Concern.school_id == school_id, Concern.status.in_(tuple(SCHOOL_STATES)))
    if escalated_only:
        query = query.where(Concern.escalated_at.is_not(None))
    rows = list(db.session.scalars(query))
    order = {"sent": 0, "acknowledged": 1, "closed": 2}
    never = datetime.min.replace(tzinfo=UTC)

    def key(c: Concern) -> tuple[int, float]:
        sent = c.sent_at or never
        stamp = -(c.closed_at or sent).timestamp() if c.status == "closed" else sent.timestamp()
        return (order[c.status], stamp)

    return sorted(rows, key=key)


def provider_concerns(provider_id: uuid.UUID) -> list[Concern]:
    """The provider's concerns, those waiting for the provider's DSL first, then newest first."""
    rows = list(db.session.scalars(select(Concern).where(Concern.provider_id == provider_id)))
    return sorted(rows, key=lambda c: (c.status != "raised", -c.raised_at.timestamp()))


def pupils_of(rows: list[Concern]) -> dict[uuid.UUID, Pupil]:
    ids = {c.pupil_id for c in rows}
    found = {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.id.in_(ids)))} if ids else {}
    return {c.id: found[c.pupil_id] for c in rows}


def file_of(concern: Concern, file_id: uuid.UUID) -> SafeguardingFile | None:
    row = db.session.get(SafeguardingFile, file_id)
    return row if row is not None and row.concern_id == concern.id else None
