"""The EHC plan annual review pack (issue 15): for a pupil with an education, health and care plan, one PDF of what
the placement holds for the plan's annual review: the placement plan, where the pupil started (the baseline), the
targets, every half-termly progress report, attendance from the provider's marks and every placement review.

No safeguarding content reaches it. What is in, and what is left out on purpose:

- The pupil: name and year group only (no UPN, no date of birth). Never the child-protection status, the social
  worker, the youth offending or welfare workers, early help or the other agencies recorded on the pupil.
- The plan: provider, sites' names, dates, legal basis, main reason, timetable in words, hours a week, why the
  placement, intended outcomes, review arrangements and interval, reintegration criteria. Not the cost, nor the
  headteacher's decision notes (not about the pupil's needs).
- The need-to-know summary the SENDCO or DSL wrote for the provider: its SEND needs, SEMH needs (a broad area of
  SEND need in the SEND code of practice), support plan and interventions, which describe needs and provision. Not
  its "agencies involved", which can name children's social care, a social worker or the police.
- Progress reports: period, each target with its rating and the provider's words, attendance, accreditation units
  and the pupil's words; a photo of work by its file name only (never the picture).
- Attendance: sessions attended of those the provider marked, overall and per half-term of the school's calendar
  (per month when the school has no calendar covering the placement). Never the provider's words on an absence.
- Reviews: date, who attended, attendance, the number of incidents in the period (a count only), the notes on
  attendance, behaviour, academic progress and wellbeing, the pupil's words, the outcome, what changes, the end date
  and destination, and the next review. Not the follow-up notes of a destination.
- Never: safeguarding concerns, risk assessments (the joint one or an uploaded file), incident narratives, notices
  (Operation Encompass and others), the child-protection chronology.

A review's notes are written by school staff for the review; the school is responsible for what it writes there.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from shared import audit
from shared.display import date_words
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Organisation,
    Placement,
    PlacementBaseline,
    PlacementReview,
    ProgressReport,
    Pupil,
    SendStatus,
    User,
)
from shared.models.pupil import WEEKDAYS
from shared.models.reintegration import AT_NEITHER, AT_PROVIDER, AT_SCHOOL, ReintegrationPlan
from shared.services.attendance.marks import attendance_counts
from shared.services.placements import progress, reintegration
from shared.services.placements.plans import END_DESTINATIONS, LEGAL_BASIS_LABELS, PRIMARY_REASONS, SLOT_LABELS
from shared.services.placements.reviews import OUTCOMES
from shared.services.safeguarding.chronology import latin1

TITLE = "EHC plan annual review pack"
FILENAME = "ehcp-annual-review-pack.pdf"  # nothing about the pupil in the file's name
FOOTER = "No safeguarding information is included in this pack."
# The need-to-know summary's parts that describe needs and provision (see the module's docstring).
SUMMARY_PARTS = {
    "summary_send_needs": "SEND needs",
    "summary_semh_needs": "Social, emotional and mental health needs",
    "summary_support_plan": "Support plan",
    "summary_interventions": "Interventions",
}
ATTENDEES = {
    "school": "School staff",
    "provider": "Provider",
    "parents": "Parents or carers",
    "pupil": "The pupil",
}
SECTIONS = (
    "The placement",
    "The plan",
    "Needs and support",
    "Where the pupil started (baseline)",
    "Targets",
    "Progress reports",
    "Attendance",
    "Reviews",
    "Reintegration plan",
)
ROOM_FOR_A_HEADING = 40  # mm


def has_ehc_plan(placement: Placement) -> bool:
    return placement.pupil.send_status == SendStatus.EHCP


@dataclass(frozen=True)
class AttendanceLine:
    label: str
    marked: int
    attended: int

    @property
    def shown(self) -> str:
        if not self.marked:
            return "No sessions marked"
        return f"{round(100 * self.attended / self.marked, 1):g}%"


@dataclass(frozen=True)
class Pack:
    placement: Placement
    pupil: Pupil
    school_name: str
    provider_name: str
    today: date
    baseline: PlacementBaseline | None
    targets: list[str]
    reports: list[ProgressReport]  # oldest first
    photo_names: dict[uuid.UUID, list[str]]
    attendance: AttendanceLine
    attendance_by: str  # "Half-term" | "Month"
    attendance_periods: list[AttendanceLine]
    reviews: list[PlacementReview]  # oldest first
    reintegration: ReintegrationPlan | None = None  # the phased return to school, when a review chose one


def _attendance(placement: Placement, today: date) -> tuple[AttendanceLine, str, list[AttendanceLine]]:
    marks = list(
        db.session.execute(
            select(AttendanceMark.day, AttendanceMark.kind)
            .where(AttendanceMark.placement_id == placement.id)
            .order_by(AttendanceMark.day)
        )
    )
    overall = AttendanceLine("Whole placement", *attendance_counts(kind for _, kind in marks))
    periods = progress.periods_of(placement, today)
    covered = [mark for mark in marks if any(p.start <= mark.day <= p.end for p in periods)]
    if periods and len(covered) == len(marks):
        lines = []
        for period in periods:
            start = max(period.start, placement.start_date)
            kinds = [kind for day, kind in marks if start <= day <= period.end]
            lines.append(AttendanceLine(period.name, *attendance_counts(kinds)))
        return overall, "Half-term", lines
    by_month: dict[tuple[int, int], list[str]] = defaultdict(list)
    for day, kind in marks:
        by_month[(day.year, day.month)].append(kind)
    lines = [
        AttendanceLine(date(year, month, 1).strftime("%B %Y"), *attendance_counts(kinds))
        for (year, month), kinds in sorted(by_month.items())
    ]
    return overall, "Month", lines


def pack_for(placement: Placement, today: date) -> Pack:
    """What the pack holds for the placement (of a pupil with an EHC plan: the caller checks has_ehc_plan)."""
    reports = list(reversed(progress.reports_of(placement.id)))
    photos = progress.photos_of([report.id for report in reports])
    reviews = list(
        db.session.scalars(
            select(PlacementReview)
            .where(PlacementReview.placement_id == placement.id)
            .order_by(PlacementReview.held_on, PlacementReview.recorded_at)
        )
    )
    overall, by, lines = _attendance(placement, today)
    return Pack(
        placement=placement,
        pupil=placement.pupil,
        school_name=placement.school.name,
        provider_name=placement.provider.name,
        today=today,
        baseline=progress.baseline_of(placement.id),
        targets=progress.targets_of(placement),
        reports=reports,
        photo_names={report_id: [photo.display_name for photo in found] for report_id, found in photos.items()},
        attendance=overall,
        attendance_by=by,
        attendance_periods=lines,
        reviews=reviews,
        reintegration=reintegration.plan_of(placement.id),
    )


def record_downloaded(placement: Placement, pages: int, *, by: User) -> None:
    """Audit a download of the pack (commits): who, which placement and how many pages, never its content."""
    audit.record(
        "placement.ehcp_pack_downloaded",
        organisation=db.session.get(Organisation, placement.school_id),
        obj=placement,
        actor=by,
        pages=pages,
    )
    db.session.commit()


def _or(value: object, otherwise: str = "Not given") -> str:
    text = "" if value is None else str(value).strip()
    return text or otherwise


def as_pdf(pack: Pack) -> tuple[bytes, int]:
    """The pack as an A4 PDF (fpdf2, Helvetica, a heading on every page, page numbers, as the governors' report) and
    its number of pages."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    placement, pupil = pack.placement, pack.pupil
    school = latin1(pack.school_name)
    name = latin1(pupil.named)

    class PackPDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "", 9)
            self.set_text_color(80, 90, 95)
            self.cell(0, 5, f"{school}: {TITLE}, {name}", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 9)
            self.cell(0, 5, FOOTER, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = PackPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(TITLE)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()
    headings = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))

    def heading(text: str, size: int = 14) -> None:
        if pdf.will_page_break(ROOM_FOR_A_HEADING if size >= 14 else 20):
            pdf.add_page()
        pdf.ln(3 if size >= 14 else 1)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(0, 8 if size >= 14 else 6, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def field(label: str, value: object, otherwise: str = "Not given") -> None:
        """A label in bold with its value below (long text wraps and runs over pages)."""
        if pdf.will_page_break(12):
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, latin1(label), new_x="LMARGIN", new_y="NEXT")
        paragraph(_or(value, otherwise))

    def table(head: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        pdf.set_font("Helvetica", "", 10)
        with pdf.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align=("LEFT",) + ("RIGHT",) * (len(widths) - 1),
            line_height=5.5,
            headings_style=headings,
        ) as drawn:
            drawn.row([latin1(cell) for cell in head])
            for row in rows:
                drawn.row([latin1(cell) for cell in row])
        pdf.ln(3)

    def day(value: date | None, otherwise: str = "Not given") -> str:
        return date_words(value) if value else otherwise

    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        latin1(f"{pupil.named}\n{school}\nPrepared on {date_words(pack.today)}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    paragraph(
        "For the annual review of the pupil's education, health and care plan: the alternative provision placement's "
        "plan, where the pupil started, the targets, the provider's progress reports, attendance and the placement "
        "reviews. " + FOOTER
    )

    heading(SECTIONS[0])
    ended = placement.end_date
    destination = END_DESTINATIONS.get(placement.end_destination or "", "Not given")
    table(
        ["", ""],
        [
            ["Pupil", pupil.named],
            ["Year group", pupil.year_label or "Not given"],
            ["Special educational needs", "Education, health and care plan"],
            ["School", pack.school_name],
            ["Provider", pack.provider_name],
            ["Sites", ", ".join(site.name for site in placement.sites) or "None recorded"],
            ["Start date", day(placement.start_date)],
            ["Maximum end date", day(placement.max_end_date)],
            ["End date", day(ended, "Still running")],
        ]
        + ([["Where the pupil went", destination]] if ended else []),
        (50, 120),
    )

    heading(SECTIONS[1])
    slots = [SLOT_LABELS.get(slot, slot) for slot in placement.timetable]
    field("Legal basis", LEGAL_BASIS_LABELS.get(placement.legal_basis, placement.legal_basis))
    field("Main reason", PRIMARY_REASONS.get(placement.primary_reason or ""))
    field("Timetable", ", ".join(slots), "No sessions")
    field("Hours a week", f"{placement.hours_per_week:g}" if placement.hours_per_week is not None else None)
    field("Why this placement", placement.rationale)
    field("Intended outcomes", placement.intended_outcomes)
    field("Review arrangements", placement.review_arrangements)
    field("Reviews", f"Every {placement.review_interval_weeks} weeks")
    field("Reintegration criteria", placement.reintegration_criteria)

    heading(SECTIONS[2])
    if placement.summary_updated_at is None:
        paragraph("The SENDCO has not written the summary of needs for the provider yet.")
    else:
        paragraph("From the summary the school wrote for the provider.")
        for key, label in SUMMARY_PARTS.items():
            field(label, getattr(placement, key), "Nothing written")

    heading(SECTIONS[3])
    if pack.baseline is None:
        paragraph("The provider has not recorded the baseline.")
    else:
        for key, label in progress.BASELINE_FIELDS.items():
            field(label, getattr(pack.baseline, key), "Nothing written")
        paragraph(f"Recorded by the provider on {date_words(pack.baseline.recorded_at.date())}.")

    heading(SECTIONS[4])
    if pack.targets:
        for number, target in enumerate(pack.targets, start=1):
            paragraph(f"{number}. {target}")
    else:
        paragraph("No targets set.")

    heading(SECTIONS[5])
    if not pack.reports:
        paragraph("No progress reports yet.")
    for report in pack.reports:
        heading(report.period_name, size=12)
        paragraph(
            f"{date_words(report.period_start)} to {date_words(report.period_end)}; "
            f"sent {date_words(report.written_at.date())}."
        )
        for number, item in enumerate(report.against_targets, start=1):
            rating = progress.RATINGS.get(item.get("rating") or "", item.get("rating") or "Not rated")
            field(f"Target {number}: {item.get('target', '')}", f"{rating}. {_or(item.get('text'), '')}".strip())
        attendance = report.attendance_percent
        field("Attendance (from the marks)", f"{attendance:g}%" if attendance is not None else "No sessions marked")
        field("Accreditation units achieved", report.units_achieved, "None")
        field("What the pupil says", report.pupil_voice, "Nothing written")
        names = pack.photo_names.get(report.id, [])
        if names:
            field("Photos of the pupil's work (not included; on the placement's page)", ", ".join(names))

    heading(SECTIONS[6])
    paragraph(
        "Sessions attended (present or late) out of the sessions the provider marked. Sessions not marked are not "
        "counted."
    )
    rows = [[line.label, f"{line.attended} of {line.marked}", line.shown] for line in pack.attendance_periods]
    rows.append(
        [pack.attendance.label, f"{pack.attendance.attended} of {pack.attendance.marked}", pack.attendance.shown]
    )
    table([pack.attendance_by, "Sessions attended", "Attendance"], rows, (90, 45, 35))

    heading(SECTIONS[7])
    if not pack.reviews:
        paragraph("No reviews held yet.")
    for review in pack.reviews:
        heading(f"Review held on {date_words(review.held_on)}", size=12)
        attendees = review.attendees or {}
        for key, label in ATTENDEES.items():
            field(label, attendees.get(key), "Did not take part" if key == "pupil" else "No one")
        percent = review.attendance_percent
        field("Attendance since the last review", f"{percent:g}%" if percent is not None else "No sessions marked")
        field("Incidents since the last review (number)", str(review.incident_count))
        field("Notes on attendance", review.attendance_notes, "Nothing written")
        field("Notes on behaviour", review.behaviour, "Nothing written")
        field("Notes on academic progress", review.academic_progress, "Nothing written")
        field("Notes on wellbeing", review.wellbeing, "Nothing written")
        field("What the pupil says", review.pupil_voice, "Nothing written")
        field("Outcome", OUTCOMES.get(review.outcome, review.outcome))
        if review.changes:
            field("What changes", review.changes)
        if review.end_date:
            field("Placement ends", day(review.end_date))
            field("Destination", END_DESTINATIONS.get(review.destination or "", "Not given"))
        if review.next_review_on:
            field("Next review", day(review.next_review_on))

    plan = pack.reintegration
    if plan is not None:
        heading(SECTIONS[8])
        paragraph(
            f"A phased return to school from {date_words(plan.starts_on)}, {len(plan.weeks)} "
            f"{'week' if len(plan.weeks) == 1 else 'weeks'}; the placement ends on {date_words(plan.last_day)}."
        )
        places = {AT_PROVIDER: "Provider", AT_SCHOOL: "School", AT_NEITHER: "Neither"}
        rows = [
            [monday.strftime("%-d %b %Y")]
            + [f"{places[week[f'{d}_am']]} / {places[week[f'{d}_pm']]}" for d in WEEKDAYS]
            for monday, week in reintegration.week_rows(plan)
        ]
        table(
            ["Week (AM / PM)", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], rows, (30, 28, 28, 28, 28, 28)
        )
        field("Who supports the pupil at school", plan.school_support)
        field("Who supports from the provider", plan.provider_support, "No one named")
        field("What the pupil and family agreed to", plan.family_support, "Nothing recorded")
        field("Anything else agreed", plan.notes, "Nothing recorded")

    body = bytes(pdf.output())
    return body, pdf.pages_count
