"""The governors' report on alternative provision and the AP budget the headteacher enters: each section's totals
against a hand-built history, small numbers suppressed (and the figure that would give them away), no pupil names
in the page or the PDF, destinations grouped, the budget's entry and position worked out by hand, the PDF's pages
rendered and their headings found drawn, the charts, and who may see what. Frozen time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pypdfium2 as pdfium
import pytest
from freezegun import freeze_time
from PIL import Image
from sqlalchemy import event

from shared.extensions import db
from shared.models import (
    ApBudget,
    AttendanceMark,
    AuditEvent,
    HeadteacherDecision,
    InsetDay,
    Placement,
    ProviderStatus,
)
from shared.services.reports import budget as budgets
from shared.services.reports.governors import Suppressor
from shared.services.reports.governors_pdf import SECTIONS
from tests.support.client import Browser, html

NOW = "2026-11-30 09:30:00"  # a Monday in term; the school year so far is 1 September to 30 November 2026
PUPIL_FIRST_NAME = "Zebedee"  # every pupil's: it must appear nowhere in the report
PUPIL_SURNAMES = [f"Quartermaine{letter}" for letter in "ABCDEFGHIJKLMN"]


def _signed_in(app, world, school, roles) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, roles))
    return browser


def _section(page: str, heading: str) -> str:
    start = page.index(f">{heading}</h2>")
    following = page.find('<h2 class="govuk-heading-m', start + 1)
    return page[start : following if following != -1 else len(page)]


def _cells(section: str) -> dict[str, str]:
    """A section's table rows as {first cell: last cell}, tags and markup stripped."""
    rows = {}
    for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', section, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0]:
            rows[cells[0].replace("&#39;", "'")] = cells[-1]
    return rows


def _mark(app, placement_id, day: date, session: str, kind: str) -> None:
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        db.session.add(
            AttendanceMark(
                placement_id=placement.id,
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                pupil_id=placement.pupil_id,
                day=day,
                session=session,
                kind=kind,
                reason="illness" if kind == "absent" else None,
                code="B" if kind != "absent" else "I",
                recorded_at=datetime(2026, 11, 6, 18, 0, tzinfo=UTC),
            )
        )
        db.session.commit()


# --- small-number suppression, on its own ----------------------------------------------------------------------------


def test_small_counts_are_fewer_than_5_and_the_next_smallest_is_withheld():
    hide = Suppressor(5)
    assert [hide.count(n).shown for n in (0, 1, 4, 5, 1234)] == ["0", "fewer than 5", "fewer than 5", "5", "1,234"]
    # One cell hidden, the total shown: the next smallest (not nought) is withheld too, so 3 = 14 - 6 - 5 fails.
    table = hide.breakdown([("a", 6), ("b", 3), ("c", 0), ("d", 5)])
    assert [count.shown for _, count in table.rows] == ["6", "fewer than 5", "0", "withheld"]
    assert table.total.shown == "14"
    # Two hidden already: nothing more to withhold. A small total is hidden itself.
    two = hide.breakdown([("a", 2), ("b", 3), ("c", 9)])
    assert [count.shown for _, count in two.rows] == ["fewer than 5", "fewer than 5", "9"]
    assert hide.breakdown([("a", 3), ("b", 0)]).total.shown == "fewer than 5"
    # A percentage from a hidden count is withheld; from a shown one, it is worked out.
    assert hide.percent(3, 4, based_on=hide.count(4)).shown == "withheld"
    assert hide.percent(9, 12, based_on=hide.count(12)).shown == "75.0%"
    assert hide.percent(0, 0, based_on=hide.count(0), nothing="no sessions marked").shown == "no sessions marked"
    # The threshold is the app's setting.
    assert Suppressor(10).count(7).shown == "fewer than 10"


# --- the report ------------------------------------------------------------------------------------------------------


@pytest.fixture
def report_world(world, app):
    """Two approved providers and one not yet approved; 14 placements (6 running, 8 ended in the period), marks,
    incidents and reviews chosen so that some figures are small, and another school's placement that must not count.
    """
    school = world.school("Demo School")
    farm = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    college = world.provider(school, "Bridge College", ProviderStatus.APPROVED, provider_type="fe_college")
    world.provider(school, "Not Yet Ready Ltd", ProviderStatus.ONBOARDING)
    other_school = world.school("Other School")
    other_provider = world.provider(other_school, "Elsewhere Academy", ProviderStatus.APPROVED)
    world.placement(
        other_school, other_provider, primary_reason="suspended", status="ended", end_date=date(2026, 10, 1)
    )

    reasons = ["semh"] * 6 + ["risk_of_exclusion"] * 5 + ["suspended"] * 3
    bases = ["school_arranged"] * 9 + ["la_arranged"] * 5
    destinations = ["reintegrated"] * 5 + ["another_provider", "continued_new_arrangement", "special_school"]
    placements = []
    for number in range(14):
        pupil = world.pupil(school, first_name=PUPIL_FIRST_NAME, last_name=PUPIL_SURNAMES[number])
        ended = number >= 6
        placements.append(
            world.placement(
                school,
                farm if number % 2 else college,
                pupil,
                start=date(2025, 9, 8) if number < 2 else date(2026, 9, 7),
                primary_reason=reasons[number],
                legal_basis=bases[number],
                status="ended" if ended else "active",
                end_date=date(2026, 10, 2 + number) if ended else None,
                end_destination=destinations[number - 6] if ended else None,
            )
        )
    running = placements[:6]
    # Attendance: four pupils at every session of the first week of November, two at 8 of 10; one of the four also
    # has two sessions marked in October (one pupil that month: its percentage is withheld).
    for index, placement in enumerate(running):
        for day in range(2, 7):
            for session in ("AM", "PM"):
                absent = index >= 4 and day == 6
                _mark(app, placement, date(2026, 11, day), session, "absent" if absent else "present")
    _mark(app, running[0], date(2026, 10, 5), "AM", "present")
    _mark(app, running[0], date(2026, 10, 5), "PM", "present")
    # Behaviour: 7 low, 5 medium, 2 serious (one with a physical intervention, one with a suspension).
    for number, severity in enumerate(["low"] * 7 + ["medium"] * 5 + ["serious"] * 2):
        world.incident(
            running[number % 6],
            severity=severity,
            occurred_at=datetime(2026, 10, 1 + number, 11, 0, tzinfo=UTC),
            physical_intervention=number == 12,
            suspension=number == 13,
            school_agreement="Agreed by the headteacher" if number == 13 else None,
        )
    # An incident before the period: not counted.
    world.incident(running[0], severity="serious", occurred_at=datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
    # Reviews: 6 on time and 2 late; 5 continue and 3 adjust.
    for number in range(8):
        world.review(
            placements[6 + number],
            due_on=date(2026, 10, 19),
            held_on=date(2026, 10, 19 if number < 6 else 23),
            outcome="continue" if number < 5 else "adjust",
        )
    return {"school": school, "farm": farm, "college": college, "placements": placements}


@freeze_time(NOW)
def test_report_totals_with_small_numbers_suppressed(report_world, app, world):
    browser = _signed_in(app, world, report_world["school"], ["headteacher"])
    page = html(browser.get("/school/reports/governors"))
    assert "Demo School: 1 September 2026 to 30 November 2026" in page

    placed = _cells(_section(page, "Pupils placed and why"))
    assert placed["Pupils in alternative provision during the period"] == "14"
    # 12 started in the period and 2 before it: 2 is hidden, so 12 is withheld (else 14 - 12 gives it away).
    assert placed["Started in the period"] == "withheld"
    assert placed["Started before the period"] == "fewer than 5"
    # Reasons: 6, 5 and 3. The 3 is hidden, so the next smallest (5) is withheld; the rest shown, nought included.
    assert placed["Social, emotional and mental health"] == "6"
    assert placed["Suspension"] == "fewer than 5"
    assert placed["At risk of permanent exclusion"] == "withheld"
    assert placed["Health needs"] == "0"
    assert placed["All placements"] == "14"
    # Legal basis: 9 and 5, nothing small: 5 is shown as 5.
    assert placed["Arranged by the school"] == "9"
    assert placed["Arranged by the local authority"] == "5"
    assert placed["Dual registration"] == "0"

    attendance = _cells(_section(page, "Attendance at providers"))
    assert attendance["Sessions attended, of those marked"] == "93.5%"  # 58 of 62
    assert attendance["Attended less than 90% of their sessions"] == "fewer than 5"  # 2
    assert attendance["Attended 90% or more"] == "fewer than 5"  # 4
    assert attendance["All pupils with sessions marked"] == "6"
    assert attendance["Pupils attending less than 90% of their sessions, as a share of pupils"] == "withheld"
    assert attendance["September 2026"] == "no sessions marked"
    assert attendance["October 2026"] == "withheld"  # one pupil's sessions
    assert attendance["November 2026"] == "93.3%"  # 56 of 60

    behaviour = _cells(_section(page, "Behaviour"))
    assert behaviour["Low"] == "7"
    assert behaviour["Medium"] == "withheld"
    assert behaviour["High"] == "0"
    assert behaviour["Serious"] == "fewer than 5"
    assert behaviour["All incidents"] == "14"  # the one in July is outside the period
    assert behaviour["Incidents with a physical intervention"] == "fewer than 5"
    assert behaviour["Incidents with a suspension"] == "fewer than 5"

    reviews = _cells(_section(page, "Reviews and progress"))
    assert reviews["Held late"] == "fewer than 5"
    assert reviews["Held on time"] == "withheld"
    assert reviews["Continue the placement as it is"] == "withheld"
    assert reviews["Adjust the placement"] == "fewer than 5"
    assert reviews["End the placement"] == "0"
    assert reviews["All reviews held"] == "8"

    # Destinations grouped: another provider and a new arrangement are "continued"; a special school is "other".
    ended = _cells(_section(page, "Placements ended and destinations"))
    assert ended["Reintegrated (back at school full time)"] == "5"
    assert ended["Continued in alternative provision"] == "fewer than 5"
    assert ended["Other destinations"] == "fewer than 5"
    assert ended["All placements ended"] == "8"

    providers = _cells(_section(page, "Provider compliance"))
    assert set(providers) >= {"Bridge College", "Hill Farm Learning"} and "Not Yet Ready Ltd" not in page
    assert "Elsewhere Academy" not in page

    assert "is shown as &#34;fewer than 5&#34;" in page or 'is shown as "fewer than 5"' in page
    with app.app_context():
        viewed = db.session.query(AuditEvent).filter_by(action="report.viewed").one()
        assert viewed.details == {"report": "governors"}


@freeze_time(NOW)
def test_no_pupil_names_or_pupil_rows_in_the_page(report_world, app, world):
    browser = _signed_in(app, world, report_world["school"], ["slt"])
    page = html(browser.get("/school/reports/governors"))
    assert PUPIL_FIRST_NAME not in page
    assert not any(surname in page for surname in PUPIL_SURNAMES)
    assert "/school/pupils/" not in page and "/school/placements/" not in page


@freeze_time(NOW)
def test_the_threshold_comes_from_the_app_config(report_world, app, world):
    browser = _signed_in(app, world, report_world["school"], ["ap_lead"])
    app.config["GOVERNORS_SUPPRESS_BELOW"] = 10
    try:
        page = html(browser.get("/school/reports/governors"))
    finally:
        app.config["GOVERNORS_SUPPRESS_BELOW"] = 5
    placed = _cells(_section(page, "Pupils placed and why"))
    assert placed["Arranged by the school"] == "fewer than 10"
    assert "from 1 to 9 is shown as" in page


@freeze_time(NOW)
def test_a_period_chosen_on_the_form_and_dates_that_are_not_right(report_world, app, world):
    browser = _signed_in(app, world, report_world["school"], ["headteacher"])
    page = html(browser.get("/school/reports/governors?from=2026-11-01&to=2026-11-30"))
    assert "Demo School: 1 November 2026 to 30 November 2026" in page
    # Only the 6 running placements ran in November (the ended ones ended by 15 October).
    assert _cells(_section(page, "Pupils placed and why"))["All placements"] == "6"
    assert 'href="/school/reports/governors.pdf?from=2026-11-01&amp;to=2026-11-30"' in page
    wrong = browser.get("/school/reports/governors?from=2026-11-30&to=2026-09-01")
    assert wrong.status_code == 200 and "The last day must be the same as or after the first day" in html(wrong)
    assert "Pupils placed and why" not in html(wrong)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="report.viewed").count() == 1


@freeze_time(NOW)
def test_charts_are_inline_svg_that_the_csp_allows_with_a_table_beside_them(report_world, app, world):
    browser = _signed_in(app, world, report_world["school"], ["headteacher"])
    response = browser.get("/school/reports/governors")
    page = html(response)
    assert "style-src 'self';" in response.headers["Content-Security-Policy"]
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    charts = [svg for svg in svgs if 'class="app-chart"' in svg]
    assert len(charts) == 3
    for svg in charts:
        assert 'role="img"' in svg and 'aria-label="Bar chart: ' in svg
        assert " style=" not in svg and "<style" not in svg and "<script" not in svg.lower()
    ids = re.findall(r'\sid="([^"]+)"', "".join(charts))
    assert len(ids) == len(set(ids)), "two charts share an element id"
    # What a reader sees: a bar for each figure shown above nought, with its figure written at its end; a hidden
    # figure is written as its words and has no bar.
    with app.app_context():
        from shared.services.reports import governors as governors_report

        today = date(2026, 11, 30)
        report = governors_report.governors_report(report_world["school"], date(2026, 9, 1), today, today)
        specs = list(governors_report.report_charts(report).values())
    assert any(bar.value is None and bar.note == "fewer than 5" for bar in specs[0].bars)
    assert any(bar.value is None and bar.note == "withheld" for bar in specs[1].bars)
    for spec, svg in zip(specs, charts, strict=True):
        texts = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg)]
        assert svg.count("<rect") == sum(1 for bar in spec.bars if bar.value), spec.title
        for bar in spec.bars:
            assert bar.label in " ".join(texts)
            assert spec.shown(bar) in texts
        assert f"<title>{spec.label}</title>" in svg and "<desc>" in svg
    reasons = charts[0]
    assert "<text" in reasons and ">6</text>" in reasons and ">fewer than 5</text>" in reasons
    assert ">withheld</text>" in reasons  # the 5 withheld beside the hidden 3: no bar for it either
    assert specs[1].bars[1].label == "Oct 2026" and ">93.3%</text>" in charts[1]


def test_the_chart_svg_has_no_style_no_script_and_escapes_its_words():
    from shared.charts import Bar, BarChart, bar_chart_svg

    chart = BarChart("pupils <b>& co</b>", [Bar("A <script>", 7), Bar("B", None, "fewer than 5"), Bar("C", 0)], unit="")
    svg = str(bar_chart_svg(chart))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-label="Bar chart: pupils &lt;b&gt;&amp; co&lt;/b&gt;.' in svg
    assert not re.search(r"\sstyle=|<style|<script|\son\w+=", svg, flags=re.I)
    assert " id=" not in svg and "href" not in svg and "<image" not in svg and "foreignobject" not in svg.lower()
    assert svg.count("<rect") == 1  # 7 only: no bar for the hidden figure, nor for nought
    assert "A &lt;script&gt;" in svg and ">7</text>" in svg and ">fewer than 5</text>" in svg and ">0</text>" in svg
    assert "<desc>A &lt;script&gt;: 7. B: fewer than 5. C: 0.</desc>" in svg
    # Upright columns: a withheld month is its words turned up its column, no bar.
    months = BarChart("attendance", [Bar("Sep 2026", 93.3), Bar("Oct 2026", None, "withheld")], False, "%", 100)
    svg = str(bar_chart_svg(months))
    assert svg.count("<rect") == 1 and ">93.3%</text>" in svg and 'transform="rotate(-90' in svg
    assert not re.search(r"\sstyle=|<style|<script|\son\w+=", svg, flags=re.I)


# --- the PDF ---------------------------------------------------------------------------------------------------------


def _blue_pixels(image: Image.Image) -> int:
    """Pixels of the bars' blue (#1d70b8), give or take the anti-aliasing."""
    return sum(
        1
        for r, g, b in image.convert("RGB").get_flattened_data()
        if abs(r - 0x1D) < 24 and abs(g - 0x70) < 24 and abs(b - 0xB8) < 24
    )


def _dark_pixels(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    grey = image.convert("L").crop(tuple(int(round(v)) for v in box))
    return sum(grey.histogram()[:110])


@freeze_time(NOW)
def test_the_pdf_pages_show_every_heading_and_no_pupil_names(report_world, app, world, tmp_path):
    browser = _signed_in(app, world, report_world["school"], ["headteacher"])
    response = browser.get("/school/reports/governors.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="ap-governors-report-2026-09-01-to-2026-11-30.pdf"'
    )
    pdf = pdfium.PdfDocument(response.data)
    scale = 2  # 144 dpi
    found: dict[str, int] = {}
    text = []
    for number in range(len(pdf)):
        page = pdf[number]
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = page.render(scale=scale).to_pil()
        image.save(tmp_path / f"governors-page-{number + 1}.png")
        textpage = page.get_textpage()
        text.append(textpage.get_text_bounded())
        for heading in ("Alternative provision: report to governors", *SECTIONS):
            searcher = textpage.search(heading, match_case=True, match_whole_word=False)
            hit = searcher.get_next()
            if hit is None or heading in found:
                continue
            first, count = hit
            boxes = [textpage.get_charbox(i) for i in range(first, first + count)]
            left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
            right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
            # PDF points from the bottom left; the picture's pixels from the top left.
            box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            assert _dark_pixels(image, box) > 20 * len(heading), f"{heading!r} is in the text but not drawn"
            found[heading] = number
    assert set(found) == {"Alternative provision: report to governors", *SECTIONS}
    assert list(found.values()) == sorted(found.values())  # in order
    assert (tmp_path / "governors-page-1.png").exists()
    everything = "\n".join(text)
    assert "Demo School" in everything and "fewer than 5" in everything and "Bridge College" in everything
    assert PUPIL_FIRST_NAME not in everything and not any(name in everything for name in PUPIL_SURNAMES)
    # The charts are drawn on the pages with their titles, in the PDF's own shapes: no pictures.
    for title in (
        "Placements by main reason",
        "Attendance at providers by month",
        "Where pupils went when placements ended",
    ):
        assert title in everything
        page = next(n for n in range(len(pdf)) if title in text[n])
        assert _blue_pixels(Image.open(tmp_path / f"governors-page-{page + 1}.png")) > 500, title
    assert not any(o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for n in range(len(pdf)) for o in pdf[n].get_objects())
    with app.app_context():
        exported = db.session.query(AuditEvent).filter_by(action="report.exported").one()
        assert exported.details == {"report": "governors", "rows": len(pdf)}


# --- the budget ------------------------------------------------------------------------------------------------------


@pytest.fixture
def budget_world(world, app):
    """Two terms (7 September to 16 October, 2 November to 18 December 2026), an INSET day on Friday 6 November,
    and placements costed each way. By hand, for 2026 to 2027 on Monday 30 November:
    - A, £50 a session, Monday AM and PM, 7 September to 18 December (planned end): 13 Mondays in term, 26 sessions:
      £1,300 committed; to date 11 Mondays, 22 sessions: £1,100.
    - B, £200 a week, Friday AM, 5 October to 13 November (ended): Fridays 9 and 16 October and 13 November (the
      half-term holiday and the INSET day on 6 November cost nothing): 3 weeks, £600, all to date.
    - C, £3,000 for the whole placement, started 16 November: £3,000, all to date.
    - F, £1,000 for the whole placement, agreed to start on 11 January 2027: £1,000 committed, nothing to date.
    - D (waiting for the headteacher), E (no cost) and another school's: nothing.
    Committed £5,900, to date £4,700."""
    school = world.school("Demo School")
    world.term(school, date(2026, 9, 7), date(2026, 10, 16), name="Autumn first half")
    world.term(school, date(2026, 11, 2), date(2026, 12, 18), name="Autumn second half")
    with app.app_context():
        db.session.add(InsetDay(school_id=school, day=date(2026, 11, 6)))
        db.session.commit()
    provider = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    world.placement(
        school,
        provider,
        start=date(2026, 9, 7),
        max_end_date=date(2026, 12, 18),
        timetable=["mon_am", "mon_pm"],
        cost_pence=5000,
        cost_period="session",
    )
    world.placement(
        school,
        provider,
        start=date(2026, 10, 5),
        end_date=date(2026, 11, 13),
        status="ended",
        end_destination="reintegrated",
        timetable=["fri_am"],
        cost_pence=20000,
        cost_period="week",
    )
    world.placement(school, provider, start=date(2026, 11, 16), cost_pence=300000, cost_period="placement")
    world.placement(school, provider, start=date(2027, 1, 11), cost_pence=100000, cost_period="placement")
    pending = world.placement(school, provider, status="planned", cost_pence=10000, cost_period="session")
    with app.app_context():
        db.session.get(Placement, pending).headteacher_decision = HeadteacherDecision.PENDING
        db.session.commit()
    world.placement(school, provider)  # no cost recorded
    other = world.school("Other School")
    world.placement(
        other, world.provider(other, "Elsewhere", ProviderStatus.APPROVED), cost_pence=99999999, cost_period="placement"
    )
    return {"school": school}


@freeze_time(NOW)
def test_budget_position_by_hand_in_four_queries(budget_world, app, world):
    school = budget_world["school"]
    with app.app_context():
        statements = []

        def listener(_conn, _cursor, statement, *_rest):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            position = budgets.budget_position(school, date(2026, 11, 30))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) <= 4
        assert position.year_starting == 2026 and position.year_label == "2026 to 2027"
        assert position.budget is None and position.remaining_pence is None
        assert position.committed_pence == 590000
        assert position.to_date_pence == 470000
        assert (position.placements, position.without_cost) == (5, 1)


@freeze_time(NOW)
def test_headteacher_enters_a_budget_and_sees_the_position(budget_world, app, world):
    school = budget_world["school"]
    head = world.user(school, ["headteacher"])
    browser = Browser(app.test_client())
    browser.sign_in(head)
    response = browser.submit(
        "/school/budget",
        {"year": "2026", "amount": "£85,000.50", "approved_on": ["14", "7", "2026"]},
    )
    assert response.status_code == 302
    page = html(browser.get("/school/budget"))
    assert "Budget saved for the 2026 to 2027 school year" in page
    assert "£85,000.50" in page and "14 July 2026" in page
    assert "£5,900" in page and "£4,700" in page and "£79,100.50" in page
    with app.app_context():
        budget = db.session.query(ApBudget).one()
        assert (budget.year_starting, budget.amount_pence, budget.approved_on) == (2026, 8500050, date(2026, 7, 14))
        assert budget.entered_by_id == head.id
        saved = db.session.query(AuditEvent).filter_by(action="budget.saved").one()
        assert saved.details == {"year": 2026}  # the year only, never the amount
    # Changing the year's budget replaces it: still one row.
    browser.submit("/school/budget", {"year": "2026", "amount": "90000", "approved_on": ["", "", ""]})
    with app.app_context():
        assert [(b.amount_pence, b.approved_on) for b in db.session.query(ApBudget)] == [(9000000, None)]
    # The report shows the budget against the cost.
    report = html(browser.get("/school/reports/governors"))
    cost = _cells(_section(report, "Cost against the budget"))
    assert cost["Budget approved by governors for 2026 to 2027"] == "£90,000"
    assert cost["Committed for 2026 to 2027 (estimate)"] == "£5,900"
    assert cost["Spent to 30 November 2026 (estimate)"] == "£4,700"
    assert cost["Budget left after commitments"] == "£84,100"
    # 1 September to 30 November: A's 22 sessions, B's 3 weeks and C (F starts later): £4,700.
    assert cost["Cost of placements in the period (estimate)"] == "£4,700"


@pytest.mark.parametrize(
    ("year", "amount", "approved_on", "message"),
    [
        ("2026", "85,00", ["", "", ""], "Enter the budget as an amount in pounds, like 85,000 or 85000.50"),
        ("2026", "85000.505", ["", "", ""], "Enter the budget as an amount in pounds, like 85,000 or 85000.50"),
        ("2026", "", ["", "", ""], "Enter the budget in pounds, like 85,000 or 85000.50"),
        ("2026", "-500", ["", "", ""], "The budget cannot be less than £0"),
        ("2026", "lots", ["", "", ""], "Enter the budget as an amount in pounds, like 85,000 or 85000.50"),
        ("1999", "85000", ["", "", ""], "Enter a year from 2021 to 2028: the year the school year starts"),
        ("26", "85000", ["", "", ""], "Enter the year the school year starts as 4 digits"),
        ("", "85000", ["", "", ""], "Enter the year the school year starts, like 2026"),
        (
            "2026",
            "85000",
            ["1", "12", "2026"],
            "The date the governors approved the budget must be today or in the past",
        ),
        ("2026", "85000", ["31", "2", "2026"], "Enter a real date"),
    ],
)
@freeze_time(NOW)
def test_a_budget_that_is_not_right_is_refused_with_a_message_and_nothing_saved(
    year, amount, approved_on, message, budget_world, app, world
):
    browser = _signed_in(app, world, budget_world["school"], ["headteacher"])
    response = browser.submit("/school/budget", {"year": year, "amount": amount, "approved_on": approved_on})
    assert response.status_code == 200
    assert message in html(response).replace("&#39;", "'")
    assert "There is a problem" in html(response)
    with app.app_context():
        assert db.session.query(ApBudget).count() == 0
        assert db.session.query(AuditEvent).filter_by(action="budget.saved").count() == 0


# --- who may see what ---------------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_who_may_read_and_change_the_budget_and_read_the_report(budget_world, app, world):
    school = budget_world["school"]
    for role in ("slt", "ap_lead", "governor"):  # governors approve the budget
        reader = _signed_in(app, world, school, [role])
        page = html(reader.get("/school/budget"))
        assert "£5,900" in page and "Only the headteacher can enter or change the budget." in page
        assert 'action="/school/budget"' not in page
        assert reader.post("/school/budget", {"year": "2026", "amount": "1"}).status_code == 403
        # Found from Reports (the governors': from their report).
        found_from = "/school/reports/governors" if role == "governor" else "/school/reports"
        assert 'href="/school/budget"' in html(reader.get(found_from))
    for role in ("dsl", "sendco", "attendance_lead"):
        other = _signed_in(app, world, school, [role])
        assert other.get("/school/budget").status_code == 403
        assert 'href="/school/budget"' not in html(other.get("/school/"))
    assert 'href="/school/budget"' not in html(_signed_in(app, world, school, ["dsl"]).get("/school/reports"))
    assert 'href="/school/budget"' not in html(_signed_in(app, world, school, ["dsl"]).get("/school/reports/governors"))
    with app.app_context():
        assert db.session.query(ApBudget).count() == 0
    for role, status in (
        ("headteacher", 200),
        ("ap_lead", 200),
        ("slt", 200),
        ("dsl", 200),
        ("sendco", 403),
        ("attendance_lead", 403),
        ("governor", 200),  # governors receive the report
        ("school_admin", 403),
    ):
        browser = _signed_in(app, world, school, [role])
        assert browser.get("/school/reports/governors").status_code == status, role
        assert browser.get("/school/reports/governors.pdf").status_code == status, role
    index = html(_signed_in(app, world, school, ["dsl"]).get("/school/reports"))
    assert 'href="/school/reports/governors"' in index


# --- the sparkline -------------------------------------------------------------------------------------------------


def test_sparkline_is_a_small_accessible_svg_with_gaps_and_is_cached():
    from shared.charts import _sparkline, sparkline_svg

    svg = sparkline_svg([100, 90, None, 50, None, 0], label="Attendance on time: 100%, 90%, none, 50%, none, 0%")
    assert svg.startswith("<svg") and 'width="120" height="24"' in svg
    assert 'role="img" aria-label="Attendance on time: 100%, 90%, none, 50%, none, 0%"' in svg
    assert svg.count("<path") == 1 and svg.count(" M") + svg.count('"M') == 1  # one line: 100 to 90
    assert svg.count("<circle") == 2  # 50 and 0 stand alone
    assert " style=" not in svg and " id=" not in svg and "<script" not in svg
    assert "&lt;b&gt;" in sparkline_svg([1.0], label="<b>")  # the label is escaped
    assert sparkline_svg([None, None], label="nothing").count("<circle") == 0
    # Cached on the values and the label.
    _sparkline.cache_clear()
    sparkline_svg([1, 2, 3], label="x")
    sparkline_svg([1, 2, 3], label="x")
    assert _sparkline.cache_info().hits == 1


def test_the_chart_words_contrast_with_white_at_least_7_to_1():
    """axe cannot judge the contrast of SVG text (tests/test_browser.py lets it off), so it is worked out here."""
    from shared.charts import NOTE_COLOUR, TEXT_COLOUR

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for colour in (TEXT_COLOUR, NOTE_COLOUR):
        assert (1.05) / (luminance(colour) + 0.05) >= 7, colour


def test_bar_chart_drawn_on_a_pdf_page_is_shapes_and_text_with_no_bar_for_a_hidden_figure():
    from fpdf import FPDF

    from shared.charts import Bar, BarChart, draw_bar_chart

    def page_of(chart: BarChart) -> tuple[Image.Image, str, int]:
        document = FPDF(unit="mm", format="A4")
        document.add_page()
        document.set_font("Helvetica", "", 10)
        draw_bar_chart(document, chart, width=150)
        after = document.get_y()
        document.cell(0, 5, "After the chart")
        page = pdfium.PdfDocument(bytes(document.output()))[0]
        assert not any(o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for o in page.get_objects())
        return page.render(scale=2).to_pil(), page.get_textpage().get_text_bounded(), after

    shown = BarChart("where pupils went", [Bar("Reintegrated", 12), Bar("Other", None, "fewer than 5")])
    image, text, after = page_of(shown)
    assert "Where pupils went" in text and "Reintegrated" in text and "12" in text and "fewer than 5" in text
    assert "After the chart" in text and after > 30  # the position moved below the chart
    assert _blue_pixels(image) > 1000
    hidden = BarChart("where pupils went", [Bar("Reintegrated", None, "withheld"), Bar("Other", None, "fewer than 5")])
    image, text, _ = page_of(hidden)
    assert "withheld" in text and "fewer than 5" in text
    assert _blue_pixels(image) == 0  # no bar at all for a hidden figure
