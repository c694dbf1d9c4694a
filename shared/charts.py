"""Charts for reports and pages: bar charts drawn by matplotlib (PNG for PDFs, inline SVG for HTML pages) and small
sparklines (hand-written SVG).

Every chart on a page is inline SVG with role="img" and an aria-label, and the page shows the same figures in a
table beside it, so nobody needs to read the picture.

The pages' Content-Security-Policy (shared.security) is `style-src 'self'` with no 'unsafe-inline': browsers then
ignore `style="..."` attributes and `<style>` elements inside inline SVG, and matplotlib's SVG is styled with nothing
else (every fill, stroke and font is a style attribute, whatever `svg.fonttype` says: "none" only keeps text as
<text> rather than glyph paths). So `_page_svg` rewrites each style declaration as the SVG presentation attribute of
the same name (fill="#1d70b8"), which the CSP does not govern, drops the <style> element (its two rules go on the
root element as attributes), and drops the XML prologue, <metadata> and font-family (the page's font is used).
Element ids would clash when several charts are on one page: ids nothing refers to are dropped, and the others
(clip paths, tick marks) get a prefix unique to the chart. matplotlib writes no <script>; `_page_svg` checks.

matplotlib draws with the Agg backend (no display), through its object API (Figure), never pyplot's global state.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported on first use, not when the app starts: only the governors' report draws with it, and its
# import (about a third of a second) would otherwise slow every web worker, the task worker and each CLI command.
RC_PARAMS = {
    # Text stays <text> (small, and readable by the browser's find); ids are hashed with a fixed salt, so the
    # same chart gives the same SVG (no random ids), and _page_svg makes them unique on the page.
    "svg.fonttype": "none",
    "svg.hashsalt": "ap-portal",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.edgecolor": "#505a5f",
    "axes.labelcolor": "#0b0c0c",
    "xtick.color": "#0b0c0c",
    "ytick.color": "#0b0c0c",
}


@functools.cache
def _matplotlib():
    """matplotlib with the Agg backend (no display) and our settings, imported once."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(RC_PARAMS)
    return matplotlib


def _new_figure(**kwargs) -> Figure:
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(**kwargs)


BAR_COLOUR = "#1d70b8"  # GOV.UK blue
TEXT_COLOUR = "#0b0c0c"
NOTE_COLOUR = "#505a5f"  # GOV.UK secondary text
LINE_COLOUR = "#1d70b8"

_chart_numbers = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    """One bar. `value` None draws no bar and writes `note` instead (a withheld figure: "fewer than 5")."""

    label: str
    value: float | None
    note: str = ""


# --- bar charts --------------------------------------------------------------------------------------------------


def _value_text(value: float, unit: str) -> str:
    number = f"{value:.1f}" if unit == "%" else f"{value:,.0f}"
    return f"{number}{unit}"


def _figure(
    bars: Sequence[Bar], *, horizontal: bool, unit: str, max_value: float | None, width: float = 6.4, size: int = 10
) -> Figure:
    """A bar chart `width` inches wide with text of `size` points: a page shows its SVG at about 480 pixels, so it
    is drawn narrower with larger text than the PNG set 150 mm wide in a PDF."""
    values = [bar.value or 0 for bar in bars]
    top = max_value or max(values + [1])
    positions = list(range(len(bars)))
    if horizontal:
        labels = ["\n".join(textwrap.wrap(bar.label, 26)) or " " for bar in bars]
        lines = len(bars) + sum(label.count("\n") for label in labels)
        height = (0.5 + 0.3 * max(len(bars), 1) + 0.12 * lines) * size / 10
        figure = _new_figure(figsize=(width, height), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        axes.barh(positions, values, color=BAR_COLOUR, height=0.6)
        axes.set_yticks(positions, labels=labels)
        axes.invert_yaxis()
        axes.set_xlim(0, top * 1.22)
        for position, bar in zip(positions, bars, strict=True):
            if bar.value is None:
                axes.text(
                    top * 0.01, position, bar.note, va="center", color=NOTE_COLOUR, fontstyle="italic", fontsize=size
                )
            else:
                axes.text(bar.value + top * 0.01, position, _value_text(bar.value, unit), va="center", fontsize=size)
        axes.tick_params(labelsize=size)
        axes.xaxis.set_visible(False)
        axes.spines[["top", "right", "bottom"]].set_visible(False)
    else:
        labels = ["\n".join(textwrap.wrap(bar.label, 10)) or " " for bar in bars]
        figure = _new_figure(figsize=(width, 2.8 * size / 10), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        axes.bar(positions, values, color=BAR_COLOUR, width=0.6)
        axes.set_xticks(positions, labels=labels)
        axes.set_ylim(0, top * 1.15)
        for position, bar in zip(positions, bars, strict=True):
            if bar.value is None:
                axes.text(
                    position,
                    top * 0.02,
                    bar.note,
                    ha="center",
                    va="bottom",
                    rotation=90,
                    color=NOTE_COLOUR,
                    fontsize=size,
                )
            else:
                axes.text(
                    position,
                    bar.value + top * 0.01,
                    _value_text(bar.value, unit),
                    ha="center",
                    va="bottom",
                    fontsize=size,
                )
        axes.tick_params(labelsize=size)
        axes.yaxis.set_visible(False)
        axes.spines[["top", "right", "left"]].set_visible(False)
    return figure


def bar_chart_png(
    bars: Sequence[Bar], *, horizontal: bool = True, unit: str = "", max_value: float | None = None, dpi: int = 200
) -> bytes:
    """The chart as PNG bytes (for a PDF)."""
    buffer = io.BytesIO()
    _figure(bars, horizontal=horizontal, unit=unit, max_value=max_value).savefig(
        buffer, format="png", dpi=dpi, metadata={"Software": None}
    )
    return buffer.getvalue()


def bar_chart_svg(
    bars: Sequence[Bar], *, label: str, horizontal: bool = True, unit: str = "", max_value: float | None = None
) -> Markup:
    """The chart as inline SVG for a page: role="img", aria-label=label, allowed by the CSP, with ids of its own."""
    buffer = io.StringIO()
    # On a page, text is drawn as glyph outlines: the chart is one image (role="img", with its figures in the
    # table beside it), and axe cannot judge the contrast of <text> inside an image, so it would leave it undecided.
    with _matplotlib().rc_context({"svg.fonttype": "path"}):
        _figure(bars, horizontal=horizontal, unit=unit, max_value=max_value, width=5.0, size=12).savefig(
            buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
        )
    return _page_svg(buffer.getvalue(), label=label, prefix=f"chart{next(_chart_numbers)}")


# --- making matplotlib's SVG fit for an HTML page under the CSP --------------------------------------------------

# SVG presentation attributes: what a style declaration may become. Anything else is dropped.
PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "font-size",
        "font-style",
        "font-weight",
        "text-anchor",
        "dominant-baseline",
        "clip-path",
    }
)
_STYLE = re.compile(r'\sstyle="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')
_REFERENCE = re.compile(r'url\(#([^)"]+)\)|href="#([^"]+)"')
_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')


def _attributes(match: re.Match) -> str:
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION and value:
            out.append(f' {name}="{value}"')
    return "".join(out)


def _page_svg(svg: str, *, label: str, prefix: str) -> Markup:
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    if "<script" in svg.lower() or "<foreignobject" in svg.lower():  # pragma: no cover - matplotlib writes neither
        raise ValueError("the chart's SVG holds a script or foreign content")
    svg = _STYLE.sub(_attributes, svg)
    referenced = {a or b for a, b in _REFERENCE.findall(svg)}
    svg = _ID.sub(lambda m: f' id="{prefix}-{m.group(1)}"' if m.group(1) in referenced else "", svg)
    svg = _REFERENCE.sub(
        lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) else f'href="#{prefix}-{m.group(2)}"', svg
    )
    view_box = _VIEWBOX.search(_ROOT.search(svg).group(0)).group(1)
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'viewBox="{view_box}" width="100%" role="img" aria-label="{escape(label)}" focusable="false" '
        f'stroke-linejoin="round" stroke-linecap="butt" class="app-chart">'
    )
    svg = _ROOT.sub(lambda _: root, svg, count=1)
    svg = re.sub(r">\s+<", "><", svg).strip()
    return Markup(svg)  # noqa: S704 - built here from matplotlib's output, with the label escaped


# --- sparklines ---------------------------------------------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 24, 2


def sparkline_svg(values: list[float | None], *, label: str) -> Markup:
    """A small line (about 120 x 24 px) of percentages from 0 to 100, oldest first; None is a gap in the line and a
    value with no neighbour is a dot. role="img" with aria-label=label (say the figures in it: the picture alone
    tells a screen reader nothing). Hand-written SVG, no ids, no style attributes: cached, and far quicker than
    matplotlib (which takes tens of milliseconds a figure)."""
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
