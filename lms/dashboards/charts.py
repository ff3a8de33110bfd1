"""Accessible SVG charts rendered on the server: no JavaScript, no outside request.

Each chart has ``role="img"``, a title and a description linked by ``aria-labelledby``; the figures
themselves are always in the data table printed next to it. Hidden (small-group) values are not drawn.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

#: A colour-blind-safe qualitative palette (Okabe–Ito), for series.
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
#: Sequential blues for heat maps (light to dark).
HEAT = "#0d4a86"


def _svg(chart_id: str, title: str, description: str, width: int, height: int, body: str):
    return format_html(
        '<svg role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="100%" '
        'style="max-width:{1}px;height:auto" xmlns="http://www.w3.org/2000/svg" font-size="12">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>{5}</svg>',
        chart_id,
        width,
        height,
        title,
        description,
        mark_safe(body),  # built below from escaped parts only
    )


def line_chart(chart_id: str, title: str, x_labels: list[str], series: list[tuple[str, list]]):
    """Lines of values per month; ``None`` values (hidden or missing) break the line."""
    width, height, left, bottom, top = 720, 260, 48, 40, 16
    values = [value for _, points in series for value in points if value is not None]
    peak = max(values) if values else 1
    peak = peak or 1
    step = (width - left - 16) / max(len(x_labels) - 1, 1)

    def x(i):
        return left + i * step

    def y(value):
        return top + (height - top - bottom) * (1 - value / peak)

    parts = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 8}" y2="{y(0):.1f}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{y(peak):.1f}" text-anchor="end">{escape(_format(peak))}</text>',
        f'<text x="{left - 6}" y="{y(0):.1f}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 22}" text-anchor="middle">{escape(label[2:])}</text>'
        )
    for number, (name, points) in enumerate(series):
        colour = SERIES[number % len(SERIES)]
        segment: list[str] = []
        runs = []
        for i, value in enumerate(points):
            if value is None:
                if segment:
                    runs.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
        if segment:
            runs.append(segment)
        for run in runs:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
            )
            for point in run:
                cx, cy = point.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        parts.append(
            f'<rect x="{left + 150 * number}" y="{height - 12}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 150 * number + 14}" y="{height - 3}">{escape(name[:20])}</text>'
        )
    description = _("Line chart by month; the same figures are in the table below.")
    return _svg(chart_id, title, description, width, height, "".join(parts))


def heat_map(chart_id: str, title: str, row_labels: list[str], column_labels: list[str], shares: list[list]):
    """A grid coloured by share (0..1) of each row; ``None`` cells (hidden) are hatched white."""
    cell_w, cell_h, left, top = 56, 22, 70, 24
    width = left + cell_w * len(column_labels) + 8
    height = top + cell_h * len(row_labels) + 8
    parts = []
    for j, label in enumerate(column_labels):
        parts.append(
            f'<text x="{left + j * cell_w + cell_w / 2}" y="16" text-anchor="middle">{escape(label)}</text>'
        )
    for i, label in enumerate(row_labels):
        y = top + i * cell_h
        parts.append(f'<text x="4" y="{y + 15}">{escape(label[:10])}</text>')
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
    """Grouped horizontal bars (e.g. the stages of a completion funnel per course)."""
    bar_h, gap, left, width = 12, 10, 200, 720
    group_h = bar_h * len(series) + gap
    height = 30 + group_h * len(labels)
    values = [value for _, points in series for value in points if value is not None]
    peak = max(values) if values else 1
    peak = peak or 1
    scale = (width - left - 50) / peak
    parts = []
    for number, (name, _points) in enumerate(series):
        colour = SERIES[number % len(SERIES)]
        parts.append(
            f'<rect x="{left + 130 * number}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 130 * number + 14}" y="13">{escape(name[:18])}</text>'
        )
    for i, label in enumerate(labels):
        y0 = 24 + i * group_h
        parts.append(f'<text x="4" y="{y0 + bar_h}">{escape(label[:30])}</text>')
        for number, (_name, points) in enumerate(series):
            value = points[i]
            if value is None:
                continue
            y = y0 + number * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{value * scale:.1f}" height="{bar_h - 2}" '
                f'fill="{SERIES[number % len(SERIES)]}"/>'
                f'<text x="{left + value * scale + 4:.1f}" y="{y + bar_h - 3}">'
                f"{escape(_format(value))}</text>"
            )
    description = _("Bar chart; the same figures are in the table below.")
    return _svg(chart_id, title, description, width, height, "".join(parts))


def _format(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
