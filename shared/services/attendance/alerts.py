"""The child must not be missing for long: who is told, at once, when a placed pupil is absent or not marked.

- Any absence: the pupil's social worker and pupil welfare officer (if the pupil has them) are e-mailed at once.
  Those e-mails carry the minimum the issue allows: the pupil's name, the date and session, the provider, the
  reason given and who to call at the school. Nothing else from the record.
- An absence that is not authorised (unexplained, or an "other" reason only the school can judge: whatever the
  legal basis, so a dual-registration placement's D still counts), and a session
  still unmarked UNMARKED_GRACE_MINUTES after its deadline: the school's attendance leads are told (in the app,
  and by an e-mail that says only that something needs them and where), and the provider is chased.

Every message goes through the outbox in the same transaction, as urgent, tied to its `AttendanceAlert`s, so it
survives a mail server or worker outage and each alert shows whether and when its e-mails were delivered. One alert
per placement, session and kind: nobody is told twice about the same thing. The chaser writes one e-mail per
person a run, listing every session it found unmarked, however many pupils that is.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError

from shared import audit, roles
from shared.attendance_codes import AbsenceReason, MarkKind, absence_needs_the_school
from shared.clock import local_now
from shared.display import day_words
from shared.extensions import db, savepoint
from shared.links import Link, absolute_url_of
from shared.models import (
    AttendanceAlert,
    AttendanceAlertEmail,
    AttendanceMark,
    Organisation,
    OutboxEmail,
    Placement,
    User,
    utcnow,
)
from shared.notifications import in_app, people_with_role, queue_email

ABSENCE = "absence"
UNMARKED = "unmarked"

REASON_WORDS = {
    AbsenceReason.ILLNESS: "illness",
    AbsenceReason.MEDICAL_APPOINTMENT: "medical or dental appointment",
    AbsenceReason.EXCLUDED: "excluded or suspended",
    AbsenceReason.UNEXPLAINED: "no reason given (unexplained)",
    AbsenceReason.OTHER: "other",
}


def session_words(day: date, session: str) -> str:
    return f"{session} session, {day_words(day)}"


def reason_given(mark: AttendanceMark) -> str:
    assert mark.reason is not None, "an absence always has a reason (MarkEntry.check)"
    reason = AbsenceReason(mark.reason)
    if reason == AbsenceReason.OTHER and mark.reason_text:
        return f"other: {mark.reason_text}"
    return REASON_WORDS[reason]


# One e-mail of an alert, for 'delivered when': (to_address, sent_at, attempts, last_error).
Delivery = tuple[str, datetime | None, int, str | None]


def _session_alert(
    placement: Placement, day: date, session: str, kind: str, *conditions: ColumnElement[bool]
) -> Select[tuple[AttendanceAlert]]:
    """The query for this placement's alert of one kind for one session (there is at most one), with `conditions`."""
    return select(AttendanceAlert).where(
        AttendanceAlert.placement_id == placement.id,
        AttendanceAlert.day == day,
        AttendanceAlert.session == session,
        AttendanceAlert.kind == kind,
        *conditions,
    )


def _new_alert(
    placement: Placement,
    day: date,
    session: str,
    kind: str,
    *,
    mark: AttendanceMark | None = None,
    now: datetime | None = None,
) -> AttendanceAlert | None:
    """The alert row, or None if this session already has one of this kind (concurrent or repeated)."""
    exists = db.session.scalar(
        select(AttendanceAlert.id).where(
            AttendanceAlert.placement_id == placement.id,
            AttendanceAlert.day == day,
            AttendanceAlert.session == session,
            AttendanceAlert.kind == kind,
        )
    )
    if exists is not None:
        return None
    alert = AttendanceAlert(
        kind=kind,
        placement_id=placement.id,
        school_id=placement.school_id,
        provider_id=placement.provider_id,
        pupil_id=placement.pupil_id,
        mark_id=mark.id if mark is not None else None,
        day=day,
        session=session,
        reason=mark.reason if mark is not None else None,
        raised_at=now or utcnow(),
    )
    try:
        with savepoint():
            db.session.add(alert)
    except IntegrityError:
        return None
    audit.record(
        "attendance.alert_raised",
        organisation=placement.school,
        obj=alert,
        actor=None,
        kind=kind,
        day=day.isoformat(),
        session=session,
    )
    return alert


def _email(
    alerts: Collection[AttendanceAlert], to: str, subject: str, body: str, organisation: Organisation
) -> OutboxEmail:
    """An urgent e-mail telling of `alerts`, linked to each so its page shows the delivery."""
    message = queue_email(to, subject, body, organisation=organisation, urgent=True)
    db.session.flush()
    for alert in alerts:
        db.session.add(AttendanceAlertEmail(alert_id=alert.id, email_id=message.id))
    return message


def _tell(
    alert: AttendanceAlert,
    organisation: Organisation,
    people: list[User],
    *,
    text: str,
    link: Link,
    subject: str,
    body: str,
) -> None:
    """In-app `text` (may name the pupil: it is behind sign-in) and an e-mail `body` that does not."""
    url = absolute_url_of(link)
    for person in people:
        in_app(organisation.id, person.id, text=text[:300], link=link)
        greeting = f"Hello {person.name},\n\n{body}\n\nSee it on AP Portal:\n{url}\n"
        _email([alert], person.email, subject, greeting, organisation)


def who_to_call(school: Organisation) -> str:
    leads = [p.name for p in people_with_role(school, roles.ATTENDANCE_LEAD)]
    ask_for = f" and ask for {' or '.join(leads)} (attendance)" if leads else ""
    if school.phone:
        return f"Please call {school.name} on {school.phone}{ask_for}."
    return f"Please call {school.name}{ask_for}."


def _provider_people(provider: Organisation) -> list[User]:
    seen: dict[uuid.UUID, User] = {}
    for role in (roles.PROVIDER_MANAGER, roles.PROVIDER_STAFF):
        for person in people_with_role(provider, role):
            seen.setdefault(person.id, person)
    return list(seen.values())


def open_unmarked_alerts(
    placement_ids: Collection[uuid.UUID], first: date, last: date
) -> dict[tuple[uuid.UUID, date, str], AttendanceAlert]:
    """Unresolved "not marked" alerts of these placements between two days, by (placement_id, day, session)."""
    if not placement_ids:
        return {}
    rows = db.session.scalars(
        select(AttendanceAlert).where(
            AttendanceAlert.placement_id.in_(list(placement_ids)),
            AttendanceAlert.day >= first,
            AttendanceAlert.day <= last,
            AttendanceAlert.kind == UNMARKED,
            AttendanceAlert.resolved_at.is_(None),
        )
    )
    return {(a.placement_id, a.day, a.session): a for a in rows}


def mark_recorded(mark: AttendanceMark, placement: Placement, *, now: datetime | None = None) -> None:
    """Called by shared.services.attendance.marks for every new or amended mark, in its transaction."""
    now = now or utcnow()
    unmarked = db.session.scalar(
        _session_alert(placement, mark.day, mark.session, UNMARKED, AttendanceAlert.resolved_at.is_(None))
    )
    if unmarked is not None:
        unmarked.resolved_at = now
        unmarked.mark_id = mark.id
    if mark.kind != MarkKind.ABSENT:
        return
    alert = _reopened(placement, mark) or _new_alert(placement, mark.day, mark.session, ABSENCE, mark=mark, now=now)
    if alert is None:
        return
    pupil, provider, school = placement.pupil, placement.provider, placement.school
    when = session_words(mark.day, mark.session)
    # Social worker and pupil welfare officer: the minimum, and who to call.
    minimum = (
        f"{pupil.known_as} was absent from {provider.name} ({when}).\n"
        f"Reason given by the provider: {reason_given(mark)}.\n\n"
        f"{who_to_call(school)}\n\n"
        f"You are receiving this because {school.name} has you recorded as working with this pupil."
    )
    for name, address in (
        (pupil.social_worker_name, pupil.social_worker_email),
        (pupil.welfare_officer_name, pupil.welfare_officer_email),
    ):
        if address:
            greeting = f"Hello {name},\n\n" if name else "Hello,\n\n"
            _email([alert], address, f"Absence from alternative provision: {school.name}", greeting + minimum, school)
    assert mark.reason is not None, "an absence always has a reason (MarkEntry.check)"
    if not absence_needs_the_school(AbsenceReason(mark.reason)):
        return
    link = Link.to("school_admin.attendance_today", day=mark.day.isoformat())
    _tell(
        alert,
        school,
        people_with_role(school, roles.ATTENDANCE_LEAD),
        text=f"{pupil.known_as} absent from {provider.name} ({when}): {reason_given(mark)}",
        link=link,
        subject="A placed pupil is absent without a reason",
        body=f"A pupil placed at {provider.name} is absent without an accepted reason ({when}).",
    )
    _tell(
        alert,
        provider,
        _provider_people(provider),
        # A provider may work with several schools: which one needs to know.
        text=f"Find out why {pupil.known_as} is absent ({when}) and update the mark: {school.name} needs to know",
        link=Link.to("portal.attendance_today", day=mark.day.isoformat()),
        subject="Please follow up an unexplained absence",
        body=(
            f"{school.name} needs to know why a pupil was absent ({when}). Please find out, tell the school, "
            "and update the mark with the reason."
        ),
    )


def _now_in_words(mark: AttendanceMark) -> str:
    """The mark as it now stands, for an e-mail: what the provider says, no more than the absence e-mail said."""
    if mark.kind == MarkKind.ABSENT:
        return f"absent (reason given by the provider: {reason_given(mark)})"
    if mark.kind == MarkKind.LATE:
        return f"late ({mark.late_minutes} minutes)"
    return "present"


def mark_amended(
    mark: AttendanceMark, placement: Placement, replaced: Mapping[str, Any], *, now: datetime | None = None
) -> None:
    """Called by shared.services.attendance.marks for every amended mark, in its transaction, before mark_recorded.

    When an absence is amended to present or late (the child was there after all), the absence alert it raised is
    marked corrected (it stays on the record), and everyone the school e-mailed about it is told, urgently: the
    social worker and welfare officer with the same minimum as the absence e-mail (the pupil's name, the session,
    the provider, what the mark is now, who to call), the attendance leads without the pupil's name. The reason for
    the amendment is the provider's free text, so it stays in the app (the mark's history) and is not e-mailed. An
    absence whose reason changes is still an absence: its alert stands."""
    if replaced["kind"] != MarkKind.ABSENT or mark.kind == MarkKind.ABSENT:
        return
    now = now or utcnow()
    alert = db.session.scalar(
        _session_alert(placement, mark.day, mark.session, ABSENCE, AttendanceAlert.corrected_at.is_(None))
    )
    if alert is None:
        return
    alert.corrected_at = now
    pupil, provider, school = placement.pupil, placement.provider, placement.school
    audit.record(
        "attendance.alert_corrected",
        organisation=school,
        obj=alert,
        actor=None,
        day=mark.day.isoformat(),
        session=mark.session,
    )
    told = db.session.scalars(
        select(OutboxEmail.to_address)
        .join(AttendanceAlertEmail, AttendanceAlertEmail.email_id == OutboxEmail.id)
        .where(AttendanceAlertEmail.alert_id == alert.id, OutboxEmail.organisation_id == school.id)
        .distinct()
    ).all()
    workers: dict[str | None, str | None] = {
        pupil.social_worker_email: pupil.social_worker_name,
        pupil.welfare_officer_email: pupil.welfare_officer_name,
    }
    staff = {person.email: person.name for person in people_with_role(school, roles.ATTENDANCE_LEAD)}
    when = session_words(mark.day, mark.session)
    subject = f"Correction: absence from alternative provision: {school.name}"
    minimum = (
        f"Correction: you were told that {pupil.known_as} was absent from {provider.name} ({when}).\n"
        f"{provider.name} has corrected the mark: {pupil.known_as} is now recorded as {_now_in_words(mark)}.\n\n"
        f"{who_to_call(school)}\n\n"
        f"You are receiving this because {school.name} told you of the absence."
    )
    url = absolute_url_of(Link.to("school_admin.attendance_today", day=mark.day.isoformat()))
    nameless = (
        f"{provider.name} has corrected the mark of a pupil you were told was absent ({when}): the pupil is now "
        f"recorded as {_now_in_words(mark).split(' (')[0]}.\n\nSee it on AP Portal:\n{url}\n"
    )
    for address in sorted(told):
        if address in workers:
            name, body = workers[address], minimum
        else:  # school staff (or anyone else): the e-mail names nobody
            name, body = staff.get(address), nameless
        greeting = f"Hello {name},\n\n" if name else "Hello,\n\n"
        _email([alert], address, subject, greeting + body, school)


def _reopened(placement: Placement, mark: AttendanceMark) -> AttendanceAlert | None:
    """An absence alert of this session that was corrected, raised again for a mark amended back to an absence:
    those told of the correction must be told the pupil is absent after all."""
    alert = db.session.scalar(
        _session_alert(placement, mark.day, mark.session, ABSENCE, AttendanceAlert.corrected_at.is_not(None))
    )
    if alert is None:
        return None
    alert.corrected_at, alert.mark_id, alert.reason = None, mark.id, mark.reason
    audit.record(
        "attendance.alert_raised",
        organisation=placement.school,
        obj=alert,
        actor=None,
        kind=ABSENCE,
        day=mark.day.isoformat(),
        session=mark.session,
    )
    return alert


def chase_unmarked(now: datetime | None = None) -> int:
    """Raise an alert for every session of today that is still unmarked after its deadline and the grace time.
    Run every minute by the worker; safe to run as often as you like. Returns how many alerts were raised.

    Each alert is an item in the app for the school's attendance leads and the provider's people (it names the
    pupil: it is behind sign-in); each of those people gets one e-mail for the whole run, listing the sessions."""
    from shared.services.attendance import marks as attendance  # the recording module imports this one

    now = now or utcnow()
    today = local_now(now).date()
    placements = attendance.placements_on(day=today)
    expected = attendance.expected_sessions(placements, today, today)
    due = [(p, d, s) for p, d, s in expected if now >= attendance.chase_time(attendance.profile_of(p), d, s)]
    if not due:
        return 0
    marked = attendance.marks_for({p.id for p, _, _ in due}, today, today)
    chase = _Chase()
    for placement, day, session in due:
        if (placement.id, day, session) in marked:
            continue
        alert = _new_alert(placement, day, session, UNMARKED, now=now)
        if alert is None:
            continue
        chase.add(alert, placement)
    chase.tell()
    db.session.commit()
    return len(chase.alerts)


@dataclass
class _Told:
    """What one organisation's people are told in one chase: its alerts, and each session's count of pupils."""

    organisation: Organisation
    people: list[User]
    alerts: list[AttendanceAlert] = field(default_factory=list)
    sessions: Counter[tuple[str, date, str]] = field(default_factory=Counter)


class _Chase:
    def __init__(self) -> None:
        self.alerts: list[AttendanceAlert] = []
        self.schools: dict[uuid.UUID, _Told] = {}
        self.providers: dict[uuid.UUID, _Told] = {}

    def add(self, alert: AttendanceAlert, placement: Placement) -> None:
        self.alerts.append(alert)
        pupil, provider, school = placement.pupil, placement.provider, placement.school
        when = session_words(alert.day, alert.session)
        # Each organisation's people are looked up once a run, not once an alert.
        if school.id not in self.schools:
            self.schools[school.id] = _Told(school, people_with_role(school, roles.ATTENDANCE_LEAD))
        leads = self.schools[school.id]
        leads.alerts.append(alert)
        leads.sessions[(provider.name, alert.day, alert.session)] += 1
        for person in leads.people:
            in_app(
                school.id,
                person.id,
                text=f"{pupil.known_as} not marked by {provider.name} ({when})"[:300],
                link=Link.to("school_admin.attendance_today", day=alert.day.isoformat()),
            )
        if provider.id not in self.providers:
            self.providers[provider.id] = _Told(provider, _provider_people(provider))
        staff = self.providers[provider.id]
        staff.alerts.append(alert)
        staff.sessions[(school.name, alert.day, alert.session)] += 1
        for person in staff.people:
            in_app(
                provider.id,
                person.id,
                text=f"Mark {pupil.known_as}'s attendance now ({when}): it is overdue"[:300],
                link=Link.to("portal.attendance_today", day=alert.day.isoformat()),
            )

    def tell(self) -> None:
        for told in self.schools.values():
            lines = [
                f"- {provider}: {_pupils(count)}, {session_words(day, session)}"
                for (provider, day, session), count in sorted(told.sessions.items())
            ]
            self._email(
                told,
                "school_admin.attendance_today",
                subject="Placed pupils' attendance has not been marked",
                body=(
                    f"Attendance has not been marked for {_pupils(told.sessions.total())} placed by "
                    f"{told.organisation.name}. {_where(told.sessions.total())}\n\n" + "\n".join(lines)
                ),
            )
        for told in self.providers.values():
            lines = [
                f"- {session_words(day, session)}: {_pupils(count)} from {school}"
                for (school, day, session), count in sorted(told.sessions.items())
            ]
            self._email(
                told,
                "portal.attendance_today",
                subject="Attendance is overdue",
                body=(
                    f"Attendance is overdue for {_pupils(told.sessions.total())}. Please mark it now; the school has "
                    "been told.\n\n" + "\n".join(lines)
                ),
            )

    @staticmethod
    def _email(told: _Told, endpoint: str, *, subject: str, body: str) -> None:
        days = sorted({alert.day for alert in told.alerts})
        url = absolute_url_of(Link.to(endpoint, day=days[0].isoformat()))
        for person in told.people:
            greeting = f"Hello {person.name},\n\n{body}\n\nSee it on AP Portal:\n{url}\n"
            _email(told.alerts, person.email, subject, greeting, told.organisation)


def _pupils(count: int) -> str:
    return "1 pupil" if count == 1 else f"{count} pupils"


def _where(count: int) -> str:
    return "Where is the child?" if count == 1 else "Where are they?"


def deliveries(alert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Delivery]]:
    """For each alert id: its e-mails as (to_address, sent_at, attempts, last_error), for 'delivered when'."""
    out: dict[uuid.UUID, list[Delivery]] = {}
    if not alert_ids:
        return out
    rows = db.session.execute(
        select(
            AttendanceAlertEmail.alert_id,
            OutboxEmail.to_address,
            OutboxEmail.sent_at,
            OutboxEmail.attempts,
            OutboxEmail.last_error,
        )
        .join(OutboxEmail, OutboxEmail.id == AttendanceAlertEmail.email_id)
        .where(AttendanceAlertEmail.alert_id.in_(list(alert_ids)))
    )
    for alert_id, to, sent_at, attempts, error in rows:
        out.setdefault(alert_id, []).append((to, sent_at, attempts, error))
    return out
