"""Charts for reports and pages, drawn here with no charting library: bar charts (inline SVG for HTML pages, fpdf2's
own rectangles, lines and text straight onto a PDF page) and small sparklines (SVG).

A bar chart is described once (BarChart: its title, categories, values and which of them are withheld) and laid out
once (`layout`: boxes, rules and words at positions, in points), for a given width, text size and way of measuring
text; each renderer only turns those shapes into SVG elements or fpdf2 calls. So the page and the PDF show the same
bars, labels and words, the PDF with Helvetica's own widths and the page with an estimate of its font's (generous,
so that labels keep inside the picture).

A withheld figure (Bar.value None: "fewer than 5", "withheld") has no bar at all, in either renderer: its words are
written where the bar would be, so the picture reveals no more than the table beside it.

Every chart on a page is inline SVG with role="img", an aria-label, a <title> and a <desc> holding its figures, and
the page shows the same figures in a table beside it, so nobody needs to read the picture. The pages'
Content-Security-Policy (shared.security) is `style-src 'self'` with no 'unsafe-inline': browsers ignore
`style="..."` attributes and `<style>` elements inside inline SVG, so the SVG here has neither, only presentation
attributes (fill, stroke, font-size...), which the CSP does not govern; and no ids (nothing to clash when several
charts are on one page) and no script. The font is the page's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from fpdf import FPDF

BAR_COLOUR = "#1d70b8"  # GOV.UK blue
TEXT_COLOUR = "#0b0c0c"
NOTE_COLOUR = "#505a5f"  # GOV.UK secondary text: 7:1 on white
AXIS_COLOUR = "#505a5f"
LINE_COLOUR = "#1d70b8"


@dataclass(frozen=True)
class Bar:
    """One bar. `value` None draws no bar and writes `note` instead (a withheld figure: "fewer than 5")."""

    label: str
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class BarChart:
    """A bar chart's data, for the page and the PDF alike: `title` in words that follow "Bar chart: " (it is
    written on the chart with a capital), the bars, which way they run, the unit of the values ("%" or nothing)
    and the value at the end of the scale (the largest value when None)."""

    title: str
    bars: Sequence[Bar]
    horizontal: bool = True
    unit: str = ""
    max_value: float | None = None

    @property
    def label(self) -> str:
        return f"Bar chart: {self.title}. The same figures are in the table beside it."

    @property
    def heading(self) -> str:
        return self.title[:1].upper() + self.title[1:]

    def shown(self, bar: Bar) -> str:
        """The bar's figure as written on the chart: its value with the unit, or its note."""
        if bar.value is None:
            return bar.note
        number = f"{bar.value:.1f}" if self.unit == "%" else f"{bar.value:,.0f}"
        return f"{number}{self.unit}"

    @property
    def figures(self) -> str:
        """Every bar's label and figure, for the SVG's <desc>."""
        return " ".join(f"{bar.label}: {self.shown(bar) or 'none'}." for bar in self.bars)


# --- layout: the same shapes for every renderer, in points from the top left ----------------------------------------


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str = BAR_COLOUR


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = AXIS_COLOUR
    width: float = 1.0


@dataclass(frozen=True)
class Words:
    """Text whose baseline starts (anchor "start"), is centred ("middle") or ends ("end") at x, y; `upward` turns it
    a quarter to read from the bottom up, from x, y."""

    x: float
    y: float
    text: str
    size: float
    fill: str = TEXT_COLOUR
    anchor: str = "start"
    bold: bool = False
    italic: bool = False
    upward: bool = False


@dataclass
class Drawing:
    width: float
    height: float
    shapes: list[Box | Rule | Words] = field(default_factory=list)


# measure(text, size, bold, italic) -> the text's width, in the same units as the size
Measure = Callable[[str, float, bool, bool], float]

ASCENT = 0.35  # of the text size: from a line's middle down to its baseline, near enough for any sans-serif
LINE = 1.25  # line height, of the text size


def _wrap(text: str, width: float, size: float, measure: Measure, bold: bool = False) -> list[str]:
    """Words in lines no wider than `width` (a word longer than that has a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}", size, bold, False) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def layout(chart: BarChart, *, width: float, size: float, measure: Measure) -> Drawing:
    """The chart `width` wide with text of `size`, as boxes, rules and words: its title, then the bars."""
    drawing = Drawing(width, 0)
    title_size = size * 1.1
    y = 0.0
    for line in _wrap(chart.heading, width, title_size, measure, bold=True):
        y += title_size * LINE
        drawing.shapes.append(Words(0, y - title_size * 0.25, line, title_size, bold=True))
    y += size * 0.6
    if chart.bars:
        top = chart.max_value or max([bar.value or 0 for bar in chart.bars] + [1])
        draw = _horizontal if chart.horizontal else _vertical
        y = draw(chart, drawing, y, top, size, measure)
    drawing.height = y + size * 0.3
    return drawing


def _horizontal(chart: BarChart, drawing: Drawing, y: float, top: float, size: float, measure: Measure) -> float:
    """Category labels on the left against an axis, a bar to the right of it for each, its figure at its end."""
    width, pad = drawing.width, size * 0.5
    label_room = min(max(measure(bar.label, size, False, False) for bar in chart.bars), width * 0.42)
    labels = [_wrap(bar.label, label_room, size, measure) for bar in chart.bars]
    label_room = max(measure(line, size, False, False) for lines in labels for line in lines)
    # Room at the end of the longest bar for its figure; a withheld figure's words start at the axis, with no bar.
    figure_room = (
        max((measure(chart.shown(bar), size, False, False) for bar in chart.bars if bar.value is not None), default=0)
        + pad
    )
    axis = label_room + pad
    bar_room = max(width - axis - pad * 0.6 - figure_room, 0)
    row = max(max(len(lines) for lines in labels) * size * LINE + size * 0.7, size * 2.2)
    thickness = min(size * 1.4, row * 0.62)
    for index, (bar, lines) in enumerate(zip(chart.bars, labels, strict=True)):
        middle = y + row * (index + 0.5)
        first = middle - (len(lines) - 1) * size * LINE / 2 + size * ASCENT
        for number, line in enumerate(lines):
            drawing.shapes.append(Words(axis - pad, first + number * size * LINE, line, size, anchor="end"))
        drawing.shapes.append(Rule(axis - size * 0.3, middle, axis, middle))
        if bar.value is None:  # withheld: its words where the bar would be, and no bar
            drawing.shapes.append(Words(axis + pad, middle + size * ASCENT, bar.note, size, NOTE_COLOUR, italic=True))
            continue
        length = bar_room * min(max(bar.value, 0) / top, 1)
        if length:
            drawing.shapes.append(Box(axis, middle - thickness / 2, length, thickness))
        drawing.shapes.append(Words(axis + length + pad * 0.6, middle + size * ASCENT, chart.shown(bar), size))
    bottom = y + row * len(chart.bars)
    drawing.shapes.append(Rule(axis, y, axis, bottom))
    return bottom


def _fitted(texts: list[tuple[str, bool]], room: float, size: float, measure: Measure) -> float:
    """The text size at which the widest of `texts` (text, italic) fits in `room`: `size`, or less, down to 60%."""
    widest = max((measure(text, size, False, italic) for text, italic in texts if text), default=0)
    return size if widest <= room else max(size * room / widest, size * 0.6)


def _vertical(chart: BarChart, drawing: Drawing, y: float, top: float, size: float, measure: Measure) -> float:
    """A column for each category over a baseline, its figure above it, its label (word by word) below."""
    count = len(chart.bars)
    column = drawing.width / count
    room = column * 0.86  # a gap between neighbours' words
    figure_size = _fitted(
        [(chart.shown(bar), False) for bar in chart.bars if bar.value is not None], room, size, measure
    )
    label_size = _fitted([(word, False) for bar in chart.bars for word in bar.label.split()], room, size, measure)
    labels = [_wrap(bar.label, room, label_size, measure) for bar in chart.bars]
    notes = [measure(bar.note, size, False, True) for bar in chart.bars if bar.value is None]
    height = max(size * 8, max(notes, default=0) + size)  # a withheld figure's words are written upward in its column
    plot_top = y + figure_size * LINE
    baseline = plot_top + height
    thickness = min(column * 0.6, size * 3.5)
    for index, (bar, lines) in enumerate(zip(chart.bars, labels, strict=True)):
        middle = column * (index + 0.5)
        drawing.shapes.append(Rule(middle, baseline, middle, baseline + size * 0.3))
        for number, line in enumerate(lines):
            line_y = baseline + size * 0.3 + label_size * (0.9 + number * LINE)
            drawing.shapes.append(Words(middle, line_y, line, label_size, anchor="middle"))
        if bar.value is None:  # withheld: its words up the column, and no bar
            drawing.shapes.append(
                Words(
                    middle + size * ASCENT, baseline - size * 0.4, bar.note, size, NOTE_COLOUR, italic=True, upward=True
                )
            )
            continue
        length = height * min(max(bar.value, 0) / top, 1)
        if length:
            drawing.shapes.append(Box(middle - thickness / 2, baseline - length, thickness, length))
        figure_y = baseline - length - figure_size * 0.35
        drawing.shapes.append(Words(middle, figure_y, chart.shown(bar), figure_size, anchor="middle"))
    drawing.shapes.append(Rule(0, baseline, drawing.width, baseline))
    most_lines = max(len(lines) for lines in labels)
    return baseline + size * 0.3 + label_size * (0.9 + (most_lines - 1) * LINE) + label_size * 0.3


# --- the page: SVG ----------------------------------------------------------------------------------------------------

SVG_WIDTH, SVG_SIZE = 500, 18  # shown about 460 pixels wide in half a column: text of about 16.5 pixels

# Widths of characters, in ems, a little wider than most sans-serif fonts' (Helvetica's, Arial's, DejaVu Sans's):
# the page's font is not known here, and a label estimated too narrow would run out of the picture.
_NARROW = frozenset(" ijl.,:;'!|")
_SLIM = frozenset("frtI()[]-/")
_WIDE = frozenset("mwMW%@")


def estimate(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """The width of `text` at `size` in a sans-serif font, estimated generously."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.3
        elif char in _SLIM:
            ems += 0.4
        elif char in _WIDE:
            ems += 0.92
        elif char.isupper():
            ems += 0.72
        elif char.isdigit():
            ems += 0.66
        else:
            ems += 0.6
    return ems * size * (1.08 if bold else 1.0)


def _n(number: float) -> str:
    return f"{round(number, 1):g}"


def _svg_shape(shape: Box | Rule | Words) -> str:
    if isinstance(shape, Box):
        return (
            f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.width)}" height="{_n(shape.height)}" '
            f'fill="{shape.fill}"/>'
        )
    if isinstance(shape, Rule):
        return (
            f'<line x1="{_n(shape.x1)}" y1="{_n(shape.y1)}" x2="{_n(shape.x2)}" y2="{_n(shape.y2)}" '
            f'stroke="{shape.stroke}" stroke-width="{_n(shape.width)}"/>'
        )
    attributes = [f'x="{_n(shape.x)}" y="{_n(shape.y)}"']
    if shape.size != SVG_SIZE:
        attributes.append(f'font-size="{_n(shape.size)}"')
    if shape.fill != TEXT_COLOUR:
        attributes.append(f'fill="{shape.fill}"')
    if shape.anchor != "start":
        attributes.append(f'text-anchor="{shape.anchor}"')
    if shape.bold:
        attributes.append('font-weight="bold"')
    if shape.italic:
        attributes.append('font-style="italic"')
    if shape.upward:
        attributes.append(f'transform="rotate(-90 {_n(shape.x)} {_n(shape.y)})"')
    return f"<text {' '.join(attributes)}>{escape(shape.text)}</text>"


def bar_chart_svg(chart: BarChart) -> Markup:
    """The chart as inline SVG for a page: role="img" named by chart.label, its figures in a <desc>; presentation
    attributes only (no style, no ids, no script), so the CSP allows it and several fit on one page."""
    drawing = layout(chart, width=SVG_WIDTH, size=SVG_SIZE, measure=estimate)
    return Markup(  # noqa: S704 - numbers formatted here; every text is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(drawing.width)} {_n(drawing.height)}" '
        f'width="100%" role="img" aria-label="{escape(chart.label)}" focusable="false" class="app-chart" '
        f'font-size="{SVG_SIZE}" fill="{TEXT_COLOUR}">'
        f"<title>{escape(chart.label)}</title><desc>{escape(chart.figures)}</desc>"
        f"{''.join(_svg_shape(shape) for shape in drawing.shapes)}</svg>"
    )


# --- the PDF: fpdf2's own drawing ---------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _style(bold: bool, italic: bool) -> str:
    return ("B" if bold else "") + ("I" if italic else "")


def draw_bar_chart(
    pdf: FPDF, chart: BarChart, *, width: float, size: float = 9, encode: Callable[[str], str] = str
) -> None:
    """Draw the chart on the PDF at the left margin below the current position (on a new page when it would not
    fit), `width` wide in the PDF's unit, in Helvetica of `size` points; then move below it. Vector shapes and
    text, no image. `encode` makes text fit the core font (the PDF module's latin1)."""
    scale = pdf.k  # points in the PDF's unit

    def measure(text: str, points: float, bold: bool, italic: bool) -> float:
        pdf.set_font("Helvetica", _style(bold, italic), points)
        return pdf.get_string_width(encode(text)) * scale

    with pdf.local_context():
        drawing = layout(chart, width=width * scale, size=size, measure=measure)
    if pdf.will_page_break(drawing.height / scale):
        pdf.add_page()
    left, top = pdf.l_margin, pdf.get_y()
    with pdf.local_context():
        for shape in drawing.shapes:
            _pdf_shape(pdf, shape, left, top, scale, encode)
    pdf.set_xy(left, top + drawing.height / scale)


def _pdf_shape(
    pdf: Any, shape: Box | Rule | Words, left: float, top: float, scale: float, encode: Callable[[str], str]
) -> None:
    if isinstance(shape, Box):
        pdf.set_fill_color(*_rgb(shape.fill))
        x, y = left + shape.x / scale, top + shape.y / scale
        pdf.rect(x, y, shape.width / scale, shape.height / scale, style="F")
    elif isinstance(shape, Rule):
        pdf.set_draw_color(*_rgb(shape.stroke))
        pdf.set_line_width(shape.width / scale)
        pdf.line(left + shape.x1 / scale, top + shape.y1 / scale, left + shape.x2 / scale, top + shape.y2 / scale)
    else:
        text = encode(shape.text)
        pdf.set_font("Helvetica", _style(shape.bold, shape.italic), shape.size)
        pdf.set_text_color(*_rgb(shape.fill))
        x, y = left + shape.x / scale, top + shape.y / scale
        x -= {"start": 0, "middle": 0.5, "end": 1}[shape.anchor] * pdf.get_string_width(text)
        if shape.upward:
            with pdf.rotation(90, x, y):
                pdf.text(x, y, text)
        else:
            pdf.text(x, y, text)


# --- sparklines ---------------------------------------------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 24, 2


def sparkline_svg(values: list[float | None], *, label: str) -> Markup:
    """A small line (about 120 x 24 px) of percentages from 0 to 100, oldest first; None is a gap in the line and a
    value with no neighbour is a dot. role="img" with aria-label=label (say the figures in it: the picture alone
    tells a screen reader nothing). Hand-written SVG, no ids, no style attributes: cached."""
    return _sparkline(tuple(values), label)


def _spark_point(index: int, count: int, value: float) -> tuple[float, float]:
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    x = SPARK_PAD + (inner_w * index / (count - 1) if count > 1 else inner_w / 2)
    y = SPARK_PAD + inner_h * (100 - min(max(value, 0.0), 100.0)) / 100
    return round(x, 1), round(y, 1)


@functools.lru_cache(maxsize=2048)
def _sparkline(values: tuple[float | None, ...], label: str) -> Markup:
    count = len(values)
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(_spark_point(index, count, float(value)))
    lines, dots = [], []
    for run in runs:
        if len(run) == 1:
            (x, y) = run[0]
            dots.append(f'<circle cx="{x:g}" cy="{y:g}" r="1.8" fill="{LINE_COLOUR}"/>')
        elif run:
            lines.append("M" + " L".join(f"{x:g} {y:g}" for x, y in run))
    path = (
        f'<path d="{" ".join(lines)}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
        if lines
        else ""
    )
    return Markup(  # noqa: S704 - numbers formatted here; the label is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" aria-label="{escape(label)}" focusable="false" '
        f'class="app-sparkline">'
        f'<line x1="{SPARK_PAD}" y1="{SPARK_HEIGHT - SPARK_PAD}" x2="{SPARK_WIDTH - SPARK_PAD}" '
        f'y2="{SPARK_HEIGHT - SPARK_PAD}" stroke="#b1b4b6" stroke-width="1"/>'
        f"{path}{''.join(dots)}</svg>"
    )
