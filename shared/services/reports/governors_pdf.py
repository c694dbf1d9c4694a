"""The governors' report as an A4 PDF: the same sections, figures and charts as the page, set like the safeguarding
chronology's PDF (fpdf2, Helvetica, a heading on every page, page numbers). No pupil-level content reaches it: it
is drawn from a GovernorsReport, which holds counts, percentages and money only. The charts are drawn on the page
with fpdf2's own shapes and text (shared.charts.draw_bar_chart), not embedded as pictures."""

from __future__ import annotations

from typing import cast

from shared.charts import BarChart, draw_bar_chart
from shared.display import date_words, pounds
from shared.services.reports.governors import Breakdown, GovernorsReport, report_charts
from shared.services.safeguarding.chronology import latin1

TITLE = "Alternative provision: report to governors"
SECTIONS = (
    "Pupils placed and why",
    "Attendance at providers",
    "Behaviour",
    "Reviews and progress",
    "Placements ended and destinations",
    "Provider compliance",
    "Cost against the budget",
    "How small numbers are shown",
)
ROOM_FOR_A_HEADING = 45  # mm: a section heading with less room than this below it starts a new page
CHART_WIDTH = 150  # mm
LINE_HEIGHT = 5.5  # mm, a line of a table
HEADING_FILL = (230, 230, 230)  # a table's heading row


def as_pdf(report: GovernorsReport) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    from fpdf import FPDF

    school = latin1(report.school_name)
    period = latin1(report.period.name)

    class GovernorsPDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "", 9)
            self.set_text_color(80, 90, 95)
            self.cell(0, 5, f"{school}: {TITLE.lower()}, {period}", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 9)
            self.cell(0, 5, f"No pupil names. Numbers below {report.below} are not shown.", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = GovernorsPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{TITLE}, {period}")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()

    def heading(text: str) -> None:
        if pdf.will_page_break(ROOM_FOR_A_HEADING):
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table_row(cells: list[str], widths: tuple[int, ...], *, heading: bool, head: list[str] | None = None) -> None:
        """One row: each cell bordered, the first column left-aligned and the others right-aligned, the heading bold
        on grey. A cell that fits on one line (nearly all) is one `cell`; only a longer one is wrapped. A row that
        would not fit on the page starts a new one, with the table's heading row (`head`) again; so does a heading
        row with no room for a row under it."""
        pdf.set_font("Helvetica", "B" if heading else "", 10)
        wrapped: dict[int, list[str]] = {
            i: cast(list[str], pdf.multi_cell(widths[i], LINE_HEIGHT, text, dry_run=True, output="LINES"))
            for i, text in enumerate(cells)
            if pdf.get_string_width(text) > widths[i] - 2 * pdf.c_margin
        }
        height = LINE_HEIGHT * max([1, *(len(lines) for lines in wrapped.values())])
        if head is None and pdf.will_page_break(height + LINE_HEIGHT):
            pdf.add_page()  # a heading row with no room for a row under it
        elif head is not None and pdf.will_page_break(height):
            pdf.add_page()
            table_row(head, widths, heading=True)
            pdf.set_font("Helvetica", "", 10)
        x, y = pdf.l_margin, pdf.get_y()
        for i, (text, width) in enumerate(zip(cells, widths, strict=True)):
            align = "L" if i == 0 else "R"
            pdf.set_xy(x, y)
            if i in wrapped:
                pdf.rect(x, y, width, height, style="DF" if heading else "D")
                pdf.set_xy(x, y + (height - LINE_HEIGHT * len(wrapped[i])) / 2)  # in the middle, as the others
                pdf.multi_cell(width, LINE_HEIGHT, text, align=align)
            else:
                pdf.cell(width, height, text, border=1, align=align, fill=heading)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def table(head: list[str], rows: list[list[str]], widths: tuple[int, ...] = (120, 50)) -> None:
        """A table with its heading row, repeated at the top of a new page. Drawn cell by cell rather than with
        fpdf2's `table()`, whose line breaking of every cell (twice) was most of the time spent making the PDF."""
        pdf.set_fill_color(*HEADING_FILL)
        table_row(head, widths, heading=True)
        for row in rows:
            table_row([latin1(cell) for cell in row], widths, heading=False, head=head)
        pdf.ln(3)

    def breakdown(head: str, figures: Breakdown, total: str = "Total") -> None:
        table(
            [head, "Number"], [[label, count.shown] for label, count in figures.rows] + [[total, figures.total.shown]]
        )

    def chart(spec: BarChart) -> None:
        # Drawn with fpdf2's rectangles, lines and text (no picture), from the same BarChart as the page's SVG.
        draw_bar_chart(pdf, spec, width=CHART_WIDTH, encode=latin1)
        pdf.ln(3)

    charts = report_charts(report)

    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0, 6, f"{school}\nPeriod: {period}\nPrepared on {date_words(report.today)}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)

    heading(SECTIONS[0])
    table(["", "Number"], [["Pupils in alternative provision during the period", report.pupils.shown]])
    breakdown("Placements running in the period", report.placements, "All placements")
    breakdown("Main reason for the placement", report.by_reason, "All placements")
    chart(charts["reasons"])
    breakdown("Legal basis", report.by_legal_basis, "All placements")

    heading(SECTIONS[1])
    attendance = report.attendance
    paragraph(
        "Attendance is the sessions the providers marked as present or late, out of all the sessions they marked."
    )
    table(
        ["", "Figure"],
        [
            ["Sessions attended, of those marked", attendance.percent.shown],
            [
                f"Pupils attending less than {attendance.threshold:g}% of their sessions (as a share of pupils)",
                attendance.below_threshold_percent.shown,
            ],
        ],
    )
    breakdown("Pupils with sessions marked", attendance.pupils, "All pupils with sessions marked")
    table(["Month", "Sessions attended"], [[label, percent.shown] for label, percent in attendance.months])
    chart(charts["attendance"])

    heading(SECTIONS[2])
    breakdown("Incidents reported, by severity", report.behaviour.by_severity, "All incidents")
    table(
        ["", "Number"],
        [
            ["Incidents with a physical intervention", report.behaviour.physical_interventions.shown],
            ["Incidents with a suspension", report.behaviour.suspensions.shown],
        ],
    )

    heading(SECTIONS[3])
    breakdown("Placement reviews held", report.reviews.timeliness, "All reviews held")
    breakdown("Outcome of the review", report.reviews.outcomes, "All reviews held")

    heading(SECTIONS[4])
    breakdown("Where the pupil went", report.destinations, "All placements ended")
    chart(charts["destinations"])

    heading(SECTIONS[5])
    if report.providers:
        paragraph(
            "Each approved provider's overall rating against its service level agreement for the period: the worst "
            "of its terms (attendance marked on time, incidents and concerns reported in time, notices acknowledged, "
            "reviews held on time, evidence in date, written confirmation of staff checks)."
        )
        table(["Provider", "Overall"], [[p.name, p.shown] for p in report.providers])
    else:
        paragraph("The school has no approved providers.")

    heading(SECTIONS[6])
    cost = report.cost
    position = cost.position
    rows = [
        [f"Budget approved by governors for {position.year_label}", pounds(position.budget_pence) or "Not entered yet"],
        [f"Committed for {position.year_label} (estimate)", pounds(position.committed_pence)],
        [f"Spent to {date_words(position.as_of)} (estimate)", pounds(position.to_date_pence)],
    ]
    if position.budget is not None:
        rows.append(["Budget left after commitments", pounds(position.remaining_pence)])
        if position.budget.approved_on:
            rows.append(["Governors approved the budget on", date_words(position.budget.approved_on)])
    rows.append(["Cost of placements in the period (estimate)", pounds(cost.period_pence)])
    table(["", "Amount"], rows, (120, 50))
    paragraph(
        "Costs are estimated from each placement's plan: the cost per session times the sessions timetabled on school "
        "days, the cost per week times the school weeks with a timetabled session, or the whole cost of a placement "
        "in the school year it starts."
    )
    if cost.without_cost.value:
        paragraph(f"Placements with no cost recorded, so not counted: {cost.without_cost.shown}.")

    heading(SECTIONS[7])
    paragraph(report.rule)
    body = bytes(pdf.output())
    return body, pdf.pages_count
