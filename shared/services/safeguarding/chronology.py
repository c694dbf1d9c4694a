"""A pupil's safeguarding chronology for the child-protection file: every concern and what the school's DSL did
about it, the notices shared with providers, serious incidents and absence alerts, merged in time order.

It reads one query per source (concerns, DSL entries, shared-back events, notices, incidents, alerts) and one each
for the people's and organisations' names, however long the history: never a query per row. The content it
decrypts is for the school's DSL only; the views that show it check the role and a recent security code.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from shared import audit
from shared.clock import local_now
from shared.csv_safety import spreadsheet_safe
from shared.display import day_words
from shared.extensions import db
from shared.models import (
    AttendanceAlert,
    AttendanceAmendment,
    AuditEvent,
    Concern,
    ConcernEntry,
    Incident,
    IncidentPupil,
    Notice,
    Organisation,
    Placement,
    Pupil,
    User,
)
from shared.services.attendance.marks import REASON_LABELS, MarkValue, describe
from shared.services.placements.incidents import INCIDENT_TYPES, SEVERITIES, is_serious
from shared.services.safeguarding.access_log import record_opening
from shared.services.safeguarding.concerns import CATEGORIES, DECISIONS, REFERRED_TO
from shared.services.safeguarding.notices import NOTICE_KINDS

# The DSL's step kinds as the chronology names them (a note is the provider's DSL adding to their staff's concern).
ENTRY_KINDS = {
    "discussion": "DSL discussion",
    "decision": "DSL decision",
    "referral": "Referral",
    "note": "Note from the provider's DSL",
}
_SHARE = re.compile(r"\n\n(?=\d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}: )")
SESSIONS = {"AM": "morning", "PM": "afternoon"}

CSV_COLUMNS = ("When it happened", "When it was recorded", "What", "Summary", "Who", "Organisation")


@dataclass(frozen=True)
class Entry:
    """One line of the chronology. `when` is when it happened (UTC), the order of the chronology; `recorded` is when
    it was put on AP Portal, where that was later (a concern raised an hour after what was seen, an incident
    reported at the end of the day), named by `recorded_as` ("Raised", "Reported"). `concern_id` links a concern's
    steps to the concern's page."""

    when: datetime
    kind: str
    summary: str
    who: str | None
    organisation: str | None
    concern_id: uuid.UUID | None = None
    recorded: datetime | None = None
    recorded_as: str = "Recorded"


def _words(code: str | None, labels: dict[str, str]) -> str:
    if not code:
        return ""
    return labels.get(code, code.replace("_", " ").capitalize())


def _join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def chronology(school_id: uuid.UUID, pupil_id: uuid.UUID) -> list[Entry]:
    """Everything on the pupil's safeguarding record at this school, oldest first."""
    concerns = list(
        db.session.scalars(select(Concern).where(Concern.school_id == school_id, Concern.pupil_id == pupil_id))
    )
    steps = list(
        db.session.scalars(
            select(ConcernEntry)
            .join(Concern, Concern.id == ConcernEntry.concern_id)
            .where(Concern.school_id == school_id, Concern.pupil_id == pupil_id)
        )
    )
    # What the school chose to share back carries no time of its own: its audit events say when, and by whom.
    shares = (
        list(
            db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.action == "concern.shared_back",
                    AuditEvent.object_type == "Concern",
                    AuditEvent.object_id.in_([str(c.id) for c in concerns]),
                )
                .order_by(AuditEvent.created_at)
            )
        )
        if concerns
        else []
    )
    notices = list(db.session.scalars(select(Notice).where(Notice.school_id == school_id, Notice.pupil_id == pupil_id)))
    incidents = [
        incident
        for incident in db.session.scalars(
            select(Incident)
            .join(IncidentPupil, IncidentPupil.incident_id == Incident.id)
            .join(Placement, Placement.id == IncidentPupil.placement_id)
            .where(Incident.school_id == school_id, Placement.pupil_id == pupil_id)
            .distinct()
        )
        if is_serious(incident)
    ]
    alerts = list(
        db.session.scalars(
            select(AttendanceAlert).where(AttendanceAlert.school_id == school_id, AttendanceAlert.pupil_id == pupil_id)
        )
    )

    # Absences the provider corrected: the amendment that corrected each (who, why, to what), one query.
    corrected_marks = [a.mark_id for a in alerts if a.corrected_at is not None and a.mark_id is not None]
    corrections: dict[uuid.UUID, list[AttendanceAmendment]] = {}
    if corrected_marks:
        for amendment in db.session.scalars(
            select(AttendanceAmendment)
            .where(AttendanceAmendment.mark_id.in_(corrected_marks))
            .order_by(AttendanceAmendment.amended_at)
        ):
            corrections.setdefault(amendment.mark_id, []).append(amendment)

    people = _names(
        User,
        [c.raised_by_id for c in concerns]
        + [c.sent_by_id for c in concerns]
        + [c.acknowledged_by_id for c in concerns]
        + [c.closed_by_id for c in concerns]
        + [s.recorded_by_id for s in steps]
        + [e.actor_user_id for e in shares]
        + [n.shared_by_id for n in notices]
        + [n.acknowledged_by_id for n in notices]
        + [i.reported_by_id for i in incidents]
        + [c.amended_by_id for changes in corrections.values() for c in changes],
    )
    organisations = _names(
        Organisation,
        [school_id]
        + [c.provider_id for c in concerns]
        + [n.provider_id for n in notices]
        + [i.provider_id for i in incidents]
        + [a.provider_id for a in alerts],
    )
    school = organisations.get(school_id)

    out: list[Entry] = []

    def add(
        when: datetime | None,
        kind: str,
        summary: str,
        who_id: uuid.UUID | None = None,
        organisation: str | None = None,
        concern_id: uuid.UUID | None = None,
        recorded: tuple[str, datetime] | None = None,
    ) -> None:
        if when is None:
            return
        later = None
        if recorded is not None and local_now(recorded[1]).replace(second=0, microsecond=0) != local_now(when).replace(
            second=0, microsecond=0
        ):
            later = recorded[1]
        label = recorded[0] if recorded is not None else "Recorded"
        who = people.get(who_id) if who_id else None
        out.append(Entry(when, kind, summary, who, organisation, concern_id, later, label))

    by_concern = {c.id: c for c in concerns}
    for c in concerns:
        provider = organisations.get(c.provider_id)
        what = _join(f"{_words(c.category, CATEGORIES)}:", c.what_happened)
        # When it happened, not when someone got round to raising it (both are shown where they differ).
        add(c.occurred_at, "Concern raised", what, c.raised_by_id, provider, c.id, ("Raised", c.raised_at))
        add(c.sent_at, "Concern sent to the school", "Sent to the school's DSLs.", c.sent_by_id, provider, c.id)
        add(
            c.escalated_at,
            "Concern escalated",
            "Not acknowledged in time: the headteacher and the DSLs were told again.",
            None,
            school,
            c.id,
        )
        add(
            c.acknowledged_at, "Concern acknowledged", "Acknowledged by the school.", c.acknowledged_by_id, school, c.id
        )
        add(c.closed_at, "Concern closed", "Closed by the school.", c.closed_by_id, school, c.id)
    for s in steps:
        if s.kind == "decision":
            summary = _join(
                f"{_words(s.decision, DECISIONS)}.",
                f"Referred to: {_words(s.referred_to, REFERRED_TO)}." if s.referred_to else None,
                f"Reference: {s.reference}." if s.reference else None,
                "Rationale:",
                s.body,
            )
        elif s.kind == "referral":
            summary = _join(
                f"Referral to: {_words(s.referred_to, REFERRED_TO)}.",
                f"Reference: {s.reference}." if s.reference else None,
                f"Outcome: {s.outcome}." if s.outcome else None,
                s.body,
            )
        else:
            summary = s.body
        where = organisations.get(by_concern[s.concern_id].provider_id) if s.kind == "note" else school
        add(s.recorded_at, _words(s.kind, ENTRY_KINDS), summary, s.recorded_by_id, where, s.concern_id)
    events_of: dict[str, list[AuditEvent]] = {}
    for event in shares:
        assert event.object_id is not None, "the query asks for these concerns' ids"
        events_of.setdefault(event.object_id, []).append(event)
    for object_id, events in events_of.items():
        concern = by_concern[uuid.UUID(object_id)]
        # Each share is added below the last, dated (shared.services.safeguarding.concerns.share_back): one per
        # event, in order.
        parts = _SHARE.split(concern.shared_back or "")
        if len(parts) != len(events):
            parts = ["Shared with the provider (the words are in the latest share)."] * (len(events) - 1) + [
                concern.shared_back or ""
            ]
        for event, part in zip(events, parts, strict=True):
            add(event.created_at, "Shared back with the provider", part, event.actor_user_id, school, concern.id)
    for n in notices:
        provider = organisations.get(n.provider_id)
        summary = _join(
            f"{_words(n.kind, NOTICE_KINDS)}.",
            f"Police reference {n.police_reference}." if n.police_reference else None,
            n.provider_text,
        )
        add(n.shared_at, f"Notice shared with {provider}", summary, n.shared_by_id, school)
        add(n.acknowledged_at, "Notice acknowledged", f"Acknowledged by {provider}.", n.acknowledged_by_id, provider)
    for i in incidents:
        flags = [SEVERITIES.get(i.severity, i.severity)]
        if i.physical_intervention:
            flags.append("physical intervention")
        if i.injury:
            flags.append("injury")
        summary = _join(f"{_words(i.incident_type, INCIDENT_TYPES)} ({', '.join(flags)}):", i.description)
        provider = organisations.get(i.provider_id)
        add(i.occurred_at, "Serious incident", summary, i.reported_by_id, provider, None, ("Reported", i.reported_at))
    for a in alerts:
        session = f"{day_words(a.day)}, {SESSIONS.get(a.session, a.session)} session"
        if a.kind == "absence":
            reason = REASON_LABELS.get(a.reason, _words(a.reason, {})) if a.reason else None
            summary = _join(f"Absent without authorisation, {session}.", f"Reason given: {reason}." if reason else None)
            kind = "Absence alert"
        else:
            summary = f"Not marked by the deadline, {session}."
            kind = "Not marked alert"
        add(a.raised_at, kind, summary, None, organisations.get(a.provider_id))
        if a.corrected_at is not None:
            # The amendment that corrected it: made at the moment it was corrected (the last one up to then; the
            # mark's later changes are in its history on the attendance pages).
            of_mark = corrections.get(a.mark_id, []) if a.mark_id is not None else []
            changes = [c for c in of_mark if c.amended_at <= a.corrected_at]
            change = changes[-1] if changes else None
            if change is not None:
                summary = _join(
                    f"The provider corrected the mark for {session}: from {describe(_stored(change.old_value))} "
                    f"to {describe(_stored(change.new_value))}.",
                    f"Reason for the correction: {change.why}",
                )
            else:
                summary = f"The provider corrected the mark for {session}."
            who = change.amended_by_id if change is not None else None
            add(a.corrected_at, "Absence corrected", summary, who, organisations.get(a.provider_id))

    # In the order things happened, oldest first; the sort is stable, so steps with the same time keep the order
    # above (raised before sent...).
    out.sort(key=lambda e: e.when)
    return out


def _stored(value: dict[str, Any]) -> MarkValue:
    return {
        "kind": value["kind"],
        "late_minutes": value.get("late_minutes"),
        "reason": value.get("reason"),
        "reason_text": value.get("reason_text"),
        "code": value["code"],
    }


def record_opened(pupil: Pupil, *, organisation: Organisation, by: User) -> None:
    """The chronology page was opened: audited (who and which pupil, never the content) and committed."""
    record_opening("chronology.opened", pupil, organisation=organisation, by=by)


def record_exported(pupil: Pupil, *, organisation: Organisation, by: User, format: str) -> None:
    """The chronology was exported as "csv" or "pdf": audited and committed."""
    audit.record("chronology.exported", organisation=organisation, obj=pupil, format=format, actor=by)
    db.session.commit()


def _names(model: type[User] | type[Organisation], ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).tuples().all())


# --- showing and exporting -----------------------------------------------------------------------------------------


def when_in_words(moment: datetime) -> str:
    """On the school's clock, e.g. 'Monday 30 November 2026 at 10:30'."""
    local = local_now(moment)
    return f"{day_words(local.date())} at {local:%H:%M}"


def as_csv(entries: list[Entry]) -> str:
    """The chronology as CSV, times on the school's clock (YYYY-MM-DD HH:MM, so a spreadsheet sorts them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                local_now(e.when).strftime("%Y-%m-%d %H:%M"),
                local_now(e.recorded).strftime("%Y-%m-%d %H:%M") if e.recorded else "",
                spreadsheet_safe(e.kind),
                spreadsheet_safe(e.summary),
                spreadsheet_safe(e.who),
                spreadsheet_safe(e.organisation),
            ]
        )
    return buffer.getvalue()


# The PDF's core font (Helvetica) has latin-1 only: typographic characters become their plain equivalents, accented
# letters outside latin-1 lose the accent, and anything else becomes "?" rather than failing the export.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u20ac": "EUR",
    }
)


def latin1(text: str | None) -> str:
    out = []
    for char in (text or "").translate(_PLAIN):
        if ord(char) < 256:
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(plain or "?")
    return "".join(out)


def _pages_of(text: str, *, width: int = 38, lines: int = 45) -> list[str]:
    """Long text in pieces that each fit on a page of the table (a table row cannot run over a page break).
    The wrapping here only estimates (a little narrower than the real column); the PDF wraps each piece again."""
    pieces: list[list[str]] = [[]]
    count = 0
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, width=width, break_long_words=True) or [""]
        for start in range(0, len(wrapped), lines):
            part = wrapped[start : start + lines]
            if count + len(part) > lines and pieces[-1]:
                pieces.append([])
                count = 0
            # Split a paragraph longer than the room left in this piece.
            room = lines - count
            pieces[-1].append(" ".join(part[:room]))
            count += len(part[:room])
            if part[room:]:
                pieces.append([" ".join(part[room:])])
                count = len(part[room:])
    return ["\n".join(piece) for piece in pieces if piece]


def _pdf_when(moment: datetime) -> str:
    local = local_now(moment)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def as_pdf(entries: list[Entry], pupil: Pupil, *, printed_by: str, printed_at: datetime) -> bytes:
    """An A4 document for the pupil's child-protection file: the marking, heading, pupil and who printed it on
    every page, page numbers, and the entries in a table whose cells wrap."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    printed = f"Printed {day_words(local_now(printed_at).date())} by {printed_by}"
    details = (
        f"{pupil.full_name}   Date of birth: {pupil.date_of_birth.day} {pupil.date_of_birth:%B %Y}   UPN: {pupil.upn}"
    )

    class ChronologyPDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 5, "OFFICIAL-SENSITIVE", align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", "B", 16)
            self.cell(0, 9, "Safeguarding chronology", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", "", 10)
            self.multi_cell(0, 5, latin1(details), new_x="LMARGIN", new_y="NEXT")
            self.multi_cell(0, 5, latin1(printed), new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 9)
            self.cell(0, 5, "OFFICIAL-SENSITIVE", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = ChronologyPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title("Safeguarding chronology")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 9)
    if not entries:
        pdf.multi_cell(0, 5, "Nothing is recorded for this pupil.")
    else:
        with pdf.table(
            col_widths=(30, 30, 72, 25, 33),
            text_align="LEFT",
            line_height=4.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
            repeat_headings=1,
        ) as table:
            table.row(["When", "What", "Summary", "Who", "Organisation"])
            for e in entries:
                for number, piece in enumerate(_pages_of(latin1(e.summary))):
                    if number == 0:
                        when = _pdf_when(e.when)
                        if e.recorded is not None:
                            when += f" ({e.recorded_as.lower()} {_pdf_when(e.recorded)})"
                        table.row([when, latin1(e.kind), piece, latin1(e.who), latin1(e.organisation)])
                    else:
                        table.row(["", f"{latin1(e.kind)} (continued)", piece, "", ""])
    return bytes(pdf.output())
