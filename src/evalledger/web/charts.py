"""Charts as server-rendered inline SVG: no JavaScript, no chart library, works offline.

Every data point is a ``<circle class="point">`` with a ``<title>`` (the browser shows it as a
tooltip), so a chart is also inspectable (and testable) as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    ok: bool | None = None  # colours the point: True pass-ish, False fail-ish, None neutral
    at: datetime | None = None  # where the point sits on a time axis (``time_axis``)


@dataclass(frozen=True)
class Span:
    """One row of an interval chart: a value with its 95% interval."""

    label: str
    value: float
    low: float
    high: float
    note: str = ""


def time_positions(
    moments: Sequence[datetime], start: datetime, end: datetime, left: float, width: float
) -> list[float]:
    """x of each moment on an axis from ``start`` (at ``left``) to ``end`` (``left + width``).

    Proportional to time, so results a year apart are a year apart on the chart, not one
    step. A zero-length axis puts every point in the middle.
    """
    total = (end - start).total_seconds()
    if total <= 0:
        return [round(left + width / 2, 1) for _ in moments]
    return [round(left + width * (m - start).total_seconds() / total, 1) for m in moments]


def time_ticks(start: datetime, end: datetime, count: int = 5) -> list[datetime]:
    """``count`` evenly spaced moments from ``start`` to ``end`` (both included)."""
    if end <= start or count < 2:
        return [start]
    step = (end - start) / (count - 1)
    return [start + step * i for i in range(count)]


def shared_scale(rows: Sequence[Sequence[int]]) -> list[list[float]]:
    """Each count as a fraction of the largest count of the whole chart (one scale).

    Scaling each row by its own peak would draw a skill's 3 as long as another's 300.
    """
    peak = max((n for row in rows for n in row), default=0)
    return [[n / peak if peak else 0.0 for n in row] for row in rows]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    css_class: str,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 720,
    height: int = 220,
    time_axis: tuple[datetime, datetime] | None = None,
) -> Markup:
    """A line chart of ``points`` in order, y axis from ``y_min`` to ``y_max`` (default: data).

    With ``time_axis=(start, end)`` the x axis is time: each point sits at its ``at``, and
    the axis is labelled with evenly spaced dates; without it points are evenly spaced.
    """
    pad_l, pad_r, pad_t, pad_b = 48, 12, 12, 28
    if not points:
        return Markup(
            f'<svg class="chart {escape(css_class)}" role="img" viewBox="0 0 {width} 60" '
            f'aria-label="{escape(title)}: no data"><text x="12" y="34" class="empty">'
            "no data yet</text></svg>"
        )
    values = [p.value for p in points]
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi <= lo:
        hi = lo + 1
    inner_w = width - pad_l - pad_r
    inner_h = height - pad_t - pad_b
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0
    xs: list[float] | None = None
    if time_axis is not None:
        xs = time_positions(
            [p.at or time_axis[0] for p in points], time_axis[0], time_axis[1], pad_l, inner_w
        )

    def xy(i: int, v: float) -> tuple[float, float]:
        even = pad_l + (step * i if len(points) > 1 else inner_w / 2)
        x = xs[i] if xs is not None else even
        y = pad_t + inner_h * (1 - (v - lo) / (hi - lo))
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg class="chart {escape(css_class)}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}" data-points="{len(points)}">'
    ]
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        _, y = xy(0, v)
        parts.append(
            f'<line class="grid" x1="{pad_l}" x2="{width - pad_r}" y1="{y}" y2="{y}"/>'
            f'<text class="axis" x="{pad_l - 6}" y="{y + 4}" text-anchor="end">{_fmt(v)}</text>'
        )
    if time_axis is not None:
        parts.extend(_time_labels(time_axis, pad_l, inner_w, height))
    else:
        for i in sorted({0, len(points) - 1}):
            x, _ = xy(i, lo)
            anchor = "start" if i == 0 else "end"
            parts.append(
                f'<text class="axis" x="{x}" y="{height - 8}" text-anchor="{anchor}">'
                f"{escape(points[i].label)}</text>"
            )
    coords = " ".join(f"{x},{y}" for x, y in (xy(i, p.value) for i, p in enumerate(points)))
    parts.append(f'<polyline class="line" points="{coords}"/>')
    for i, p in enumerate(points):
        x, y = xy(i, p.value)
        state = "" if p.ok is None else (" pass" if p.ok else " fail")
        parts.append(
            f'<circle class="point{state}" cx="{x}" cy="{y}" r="3.5">'
            f"<title>{escape(p.label)}: {_fmt(p.value)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _time_labels(
    axis: tuple[datetime, datetime], left: float, width: float, height: int
) -> list[str]:
    start, end = axis
    ticks = time_ticks(start, end)
    fmt = "%Y-%m-%d %H:%M" if end - start <= timedelta(days=2) else "%Y-%m-%d"
    out = []
    for i, (tick, x) in enumerate(
        zip(ticks, time_positions(ticks, start, end, left, width), strict=True)
    ):
        anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
        out.append(
            f'<text class="axis tick" x="{x}" y="{height - 8}" text-anchor="{anchor}">'
            f"<tspan>{tick.strftime(fmt)}</tspan></text>"
        )
    return out


def interval_chart(
    spans: Sequence[Span], *, title: str, css_class: str, lo: float, hi: float, unit: str = ""
) -> Markup:
    """One row per group: a dot at the value and a whisker over its 95% interval."""
    row_h, pad_l, pad_r, width = 26, 160, 16, 720
    if not spans:
        return line_chart([], title=title, css_class=css_class)
    height = row_h * len(spans) + 24
    inner = width - pad_l - pad_r

    def x(v: float) -> float:
        return round(pad_l + inner * (min(max(v, lo), hi) - lo) / (hi - lo), 1)

    parts = [
        f'<svg class="chart {escape(css_class)}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}" data-rows="{len(spans)}">'
    ]
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        v = lo + (hi - lo) * frac
        parts.append(
            f'<line class="grid" x1="{x(v)}" x2="{x(v)}" y1="4" y2="{height - 20}"/>'
            f'<text class="axis" x="{x(v)}" y="{height - 6}" text-anchor="middle">'
            f"{_fmt(v)}{escape(unit)}</text>"
        )
    for i, s in enumerate(spans):
        y = 4 + row_h * i + row_h / 2
        parts.append(
            f'<g class="group"><text class="axis label" x="{pad_l - 8}" y="{y + 4}" '
            f'text-anchor="end">{escape(s.label[:24])}</text>'
            f'<line class="whisker" x1="{x(s.low)}" x2="{x(s.high)}" y1="{y}" y2="{y}"/>'
            f'<circle class="point" cx="{x(s.value)}" cy="{y}" r="4">'
            f"<title>{escape(s.label)}: {_fmt(s.value)}{escape(unit)} "
            f"({_fmt(s.low)} to {_fmt(s.high)}){escape(s.note)}</title></circle></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar(fraction: float) -> Markup:
    """A small horizontal bar for tables, filled to ``fraction`` (clamped to 0..1).

    SVG, so the fill is a ``width`` attribute: an inline ``style`` would be blocked by the
    dashboard's Content-Security-Policy (``style-src 'self'``, see
    :mod:`evalledger.api.security_headers`). The number beside it is the accessible text.
    """
    pct = max(0.0, min(1.0, fraction)) * 100
    return Markup(
        '<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="fill" width="{pct:.1f}" height="8"/></svg>'
    )


def whisker(value: float, low: float, high: float, lo: float, hi: float, label: str) -> Markup:
    """A table-sized dot-and-whisker: ``value`` with its interval ``low``..``high`` on a
    ``lo``..``hi`` axis that a whole column shares (the interval chart's marks, one row)."""
    width, pad = 120, 5

    def x(v: float) -> float:
        span = hi - lo if hi > lo else 1.0
        return round(pad + (width - 2 * pad) * (min(max(v, lo), hi) - lo) / span, 1)

    return Markup(
        f'<svg class="chart whisker-cell" viewBox="0 0 {width} 14" role="img" '
        f'aria-label="{escape(label)}">'
        f'<line class="axis-line" x1="{pad}" x2="{width - pad}" y1="7" y2="7"/>'
        f'<line class="whisker" x1="{x(low)}" x2="{x(high)}" y1="7" y2="7"/>'
        f'<circle class="point" cx="{x(value)}" cy="7" r="3.5"><title>{escape(label)}</title>'
        "</circle></svg>"
    )
