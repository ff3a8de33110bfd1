"""Accessible SVG charts rendered on the server: no JavaScript, no outside request.

Each chart has ``role="img"``, a title and a description linked by ``aria-labelledby``; the figures
themselves are always in the data table printed next to it. Hidden (small-group) values are not drawn.

Series are told apart by more than colour (WCAG 1.4.1): each has its own colour, dash pattern and marker
shape, and the legend shows all three. Legends wrap onto as many rows as they need inside the chart.
"""

import datetime

from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

#: A colour-blind-safe qualitative palette (Okabe–Ito) for series, without its yellow, which has too
#: little contrast on white to draw a line.
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
#: Dash patterns (``stroke-dasharray``) for series: solid, dashed, dotted, dash-dot, long dash.
DASHES = ["", "6 3", "2 3", "8 3 2 3", "12 4"]
#: Marker shapes for series, drawn on each point and in the legend.
MARKERS = ["circle", "square", "triangle", "diamond"]
#: Sequential blues for heat maps (light to dark).
HEAT = "#0d4a86"
#: Font size of the charts, and a generous estimate of the advance of one of its characters: text laid
#: out with it (legends, row labels) stays inside the chart whatever the font.
FONT_SIZE = 12
CHAR_WIDTH = 7.2
#: Legend geometry: the line sample with its marker, the gap before the label, the gap between entries.
LEGEND_SAMPLE, LEGEND_PAD, LEGEND_GAP, LEGEND_ROW = 24, 6, 18, 18


def _svg(chart_id: str, title: str, description: str, width: int, height: int, body: str):
    return format_html(
        '<svg role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="100%" '
        'style="max-width:{1}px;height:auto" xmlns="http://www.w3.org/2000/svg" font-size="{6}">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>{5}</svg>',
        chart_id,
        width,
        f"{height:g}",
        title,
        description,
        mark_safe(body),  # built below from escaped parts only
        FONT_SIZE,
    )


def series_style(number: int) -> tuple[str, str, str]:
    """Colour, dash pattern and marker of the ``number``-th series: no two of the first 140 are alike."""
    return SERIES[number % len(SERIES)], DASHES[number % len(DASHES)], MARKERS[number % len(MARKERS)]


def _marker(shape: str, cx: float, cy: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{cx - 3:.1f}" y="{cy - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<path d="M{cx:.1f} {cy - 4:.1f}L{cx + 4:.1f} {cy + 3:.1f}L{cx - 4:.1f} {cy + 3:.1f}Z" '
            f'fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{cx:.1f} {cy - 4:.1f}L{cx + 4:.1f} {cy:.1f}L{cx:.1f} {cy + 4:.1f}'
            f'L{cx - 4:.1f} {cy:.1f}Z" fill="{colour}"/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>'


def _fit(text: str, room: float) -> str:
    """``text`` cut with an ellipsis so that it takes at most ``room`` units (the table has it in full)."""
    most = max(int(room // CHAR_WIDTH), 1)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def text_width(text: str) -> float:
    """The room ``text`` may take in a chart, estimated generously."""
    return len(text) * CHAR_WIDTH


def legend(
    names: list[str], *, left: float, top: float, right: float, line: bool = True
) -> tuple[str, float]:
    """A legend laid out in rows between ``left`` and ``right`` from ``top`` down: markup and its height.

    Each entry shows its series' colour, and for lines its dash pattern and marker, and the series' full name
    when it fits the chart's width (cut with an ellipsis, and given in full as a tooltip, otherwise).
    """
    parts, x, y = ['<g class="legend">'], left, top
    for number, name in enumerate(names):
        colour, dash, marker = series_style(number)
        room = right - left - LEGEND_SAMPLE - LEGEND_PAD
        label = _fit(name, room)
        entry = LEGEND_SAMPLE + LEGEND_PAD + text_width(label)
        if x > left and x + entry > right:
            x, y = left, y + LEGEND_ROW
        middle = y + LEGEND_ROW / 2
        if line:
            dasharray = f' stroke-dasharray="{dash}"' if dash else ""
            sample = (
                f'<line x1="{x:.1f}" y1="{middle:.1f}" x2="{x + LEGEND_SAMPLE:.1f}" y2="{middle:.1f}" '
                f'stroke="{colour}" stroke-width="2"{dasharray}/>'
                f"{_marker(marker, x + LEGEND_SAMPLE / 2, middle, colour)}"
            )
        else:  # a swatch of the bar's colour: bars come in the legend's order
            sample = f'<rect x="{x + 6:.1f}" y="{middle - 5:.1f}" width="12" height="10" fill="{colour}"/>'
        parts.append(
            f"<g><title>{escape(name)}</title>{sample}"
            f'<text x="{x + LEGEND_SAMPLE + LEGEND_PAD:.1f}" y="{middle + 4:.1f}">{escape(label)}</text></g>'
        )
        x += entry + LEGEND_GAP
    parts.append("</g>")
    return "".join(parts), (y - top + LEGEND_ROW if names else 0)


def month_label(month: str) -> tuple[str, str]:
    """``"2025-12"`` as the month and the year a reader of the active language expects: ``("déc.", "2025")``.

    A label that is not a month is kept as it is.
    """
    try:
        year, number = (int(part) for part in month.split("-"))
        day = datetime.date(year, number, 1)
    except ValueError:
        return month, ""
    return date_format(day, "N"), str(year)


def line_chart(chart_id: str, title: str, x_labels: list[str], series: list[tuple[str, list]]):
    """Lines of values per month; ``None`` values (hidden or missing) break the line.

    Months (``YYYY-MM``) are labelled with the month's short name and, under it, the year at the first
    month and at each January.
    """
    width, plot_bottom, left, top = 720, 220, 48, 16
    values = [value for _, points in series for value in points if value is not None]
    peak = max(values) if values else 1
    peak = peak or 1
    step = (width - left - 16) / max(len(x_labels) - 1, 1)

    def x(i):
        return left + i * step

    def y(value):
        return top + (plot_bottom - top) * (1 - value / peak)

    parts = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 8}" y2="{y(0):.1f}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{y(peak):.1f}" text-anchor="end">{escape(_format(peak))}</text>',
        f'<text x="{left - 6}" y="{y(0):.1f}" text-anchor="end">0</text>',
    ]
    previous_year = None
    for i, label in enumerate(x_labels):
        month, year = month_label(label)
        parts.append(
            f'<text x="{x(i):.1f}" y="{plot_bottom + 16}" text-anchor="middle">{escape(month)}</text>'
        )
        if year and year != previous_year:
            parts.append(
                f'<text x="{x(i):.1f}" y="{plot_bottom + 30}" text-anchor="middle">{escape(year)}</text>'
            )
        previous_year = year
    for number, (_name, points) in enumerate(series):
        colour, dash, marker = series_style(number)
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[tuple[float, float]] = []
        runs = []
        for i, value in enumerate(points):
            if value is None:
                if segment:
                    runs.append(segment)
                segment = []
                continue
            segment.append((x(i), y(value)))
        if segment:
            runs.append(segment)
        for run in runs:
            points_attr = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dasharray} '
                f'points="{points_attr}"/>'
            )
            parts.extend(_marker(marker, px, py, colour) for px, py in run)
    markup, legend_height = legend(
        [name for name, _points in series], left=8, top=plot_bottom + 40, right=width - 8
    )
    parts.append(markup)
    description = _("Line chart by month; the same figures are in the table below.")
    return _svg(chart_id, title, description, width, plot_bottom + 40 + legend_height + 4, "".join(parts))


def heat_map(chart_id: str, title: str, row_labels: list[str], column_labels: list[str], shares: list[list]):
    """A grid coloured by share (0..1) of each row; ``None`` cells (hidden) are hatched white."""
    cell_w, cell_h, top = 56, 22, 24
    left = max(70, round(8 + max(map(text_width, row_labels), default=0)))
    width = left + cell_w * len(column_labels) + 8
    height = top + cell_h * len(row_labels) + 8
    parts = []
    for j, label in enumerate(column_labels):
        parts.append(
            f'<text x="{left + j * cell_w + cell_w / 2}" y="16" text-anchor="middle">{escape(label)}</text>'
        )
    for i, label in enumerate(row_labels):
        y = top + i * cell_h
        parts.append(f'<text x="4" y="{y + 15}">{escape(label)}</text>')
        for j, share in enumerate(shares[i]):
            x = left + j * cell_w
            if share is None:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#fff" '
                    'stroke="#999" '
                    'stroke-dasharray="2 2"/>'
                )
                continue
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{HEAT}" '
                f'fill-opacity="{0.06 + 0.94 * share:.2f}" stroke="#333" stroke-width="0.3"/>'
            )
            ink = "#fff" if share > 0.5 else "#000"
            parts.append(
                f'<text x="{x + cell_w / 2 - 1}" y="{y + 15}" text-anchor="middle" fill="{ink}">'
                f"{round(share * 100)}%</text>"
            )
    description = _(
        "Heat map: the darker the cell, the larger the share of learners of the row at that level; dashed "
        "cells are groups too small to show. The same figures are in the table below."
    )
    return _svg(chart_id, title, description, width, height, "".join(parts))


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list]]):
    """Grouped horizontal bars (e.g. the stages of a completion funnel per course), the legend on top."""
    bar_h, gap, left, width = 12, 10, 200, 720
    markup, legend_height = legend(
        [name for name, _points in series], left=8, top=2, right=width - 8, line=False
    )
    group_h = bar_h * len(series) + gap
    first = legend_height + 8
    height = first + 6 + group_h * len(labels)
    values = [value for _, points in series for value in points if value is not None]
    peak = max(values) if values else 1
    peak = peak or 1
    scale = (width - left - 50) / peak
    parts = [markup]
    for i, label in enumerate(labels):
        y0 = first + i * group_h
        parts.append(
            f"<g><title>{escape(label)}</title>"
            f'<text x="4" y="{y0 + bar_h}">{escape(_fit(label, left - 8))}</text></g>'
        )
        for number, (_name, points) in enumerate(series):
            value = points[i]
            if value is None:
                continue
            colour, _dash, marker = series_style(number)
            y = y0 + number * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{value * scale:.1f}" height="{bar_h - 2}" fill="{colour}"/>'
                f'<text x="{left + value * scale + 4:.1f}" y="{y + bar_h - 3}">'
                f"{escape(_format(value))}</text>"
            )
    description = _("Bar chart; the same figures are in the table below.")
    return _svg(chart_id, title, description, width, height, "".join(parts))


def _format(value) -> str:
    """A number as the page writes it in the active language (``13,2`` in French)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else formats.number_format(value, use_l10n=True)
    return str(value)
