"""Charts as server-rendered inline SVG: no JavaScript, no chart library, works offline.

Every data point is a ``<circle class="point">`` with a ``<title>`` (the browser shows it as a
tooltip), so a chart is also inspectable (and testable) as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    ok: bool | None = None  # colours the point: True pass-ish, False fail-ish, None neutral


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
) -> Markup:
    """A line chart of ``points`` in order, y axis from ``y_min`` to ``y_max`` (default: data)."""
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

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_l + (step * i if len(points) > 1 else inner_w / 2)
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
