"""The dashboard's server-rendered SVG charts, time ranges and sign-in redirect guard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from evalledger.web.charts import (
    Point,
    Span,
    bar,
    interval_chart,
    line_chart,
    shared_scale,
    time_positions,
    time_ticks,
)
from evalledger.web.ranges import axis, resolve
from evalledger.web.router import _safe_next


def test_one_circle_per_point_coloured_by_outcome() -> None:
    svg = line_chart(
        [Point("d1", 10, True), Point("d2", 90, False), Point("d3", 50)],
        title="scores",
        css_class="score-chart",
        y_min=0,
        y_max=100,
    )
    assert svg.count("<circle") == 3
    assert 'class="point pass"' in svg and 'class="point fail"' in svg
    assert 'data-points="3"' in svg
    # Higher values are drawn higher (smaller y).
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]
    assert ys[1] < ys[2] < ys[0]


def test_labels_are_escaped_and_empty_data_says_so() -> None:
    svg = line_chart([Point("<script>", 1)], title='a "b"', css_class="x")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    empty = line_chart([], title="t", css_class="x")
    assert "no data yet" in empty and "<circle" not in empty


def test_bar_width_is_clamped() -> None:
    assert 'width="100.0"' in bar(3) and 'width="0.0"' in bar(-1) and 'width="50.0"' in bar(0.5)
    assert "style=" not in bar(0.5)  # the dashboard's CSP blocks inline styles


def test_sign_in_only_redirects_within_the_site() -> None:
    assert _safe_next("/agents/guardian?x=1") == "/agents/guardian?x=1"
    for hostile in ("https://evil.example/", "//evil.example", "/\\evil.example", "", None):
        assert _safe_next(hostile) == "/"


def test_time_axis_places_points_by_time_not_by_index() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start, datetime(2025, 12, 31, tzinfo=UTC), end]
    xs = time_positions(moments, start, end, left=0, width=365)
    # A year apart is the whole axis; the last two days are one day apart, not one step.
    assert xs == [0.0, 364.0, 365.0]
    assert time_positions([start], start, start, left=10, width=100) == [60.0]


def test_line_chart_on_a_time_axis_is_labelled_with_dates() -> None:
    start = datetime(2025, 6, 1, tzinfo=UTC)
    end = start + timedelta(days=100)
    points = [
        Point("a", 10, at=start),
        Point("b", 20, at=start + timedelta(days=99)),
        Point("c", 30, at=end),
    ]
    svg = line_chart(points, title="t", css_class="c", time_axis=(start, end))
    xs = [float(x) for x in re.findall(r'<circle[^>]* cx="([\d.]+)"', svg)]
    assert xs[1] - xs[0] > 90 * (xs[2] - xs[1])  # 99 days against 1 day
    assert "2025-06-01" in svg and "2025-09-09" in svg  # the axis ends, as dates
    assert len(time_ticks(start, end)) == 5


def test_histogram_bars_share_one_scale_per_chart() -> None:
    rows = [[3, 0, 1], [300, 150, 0]]
    scaled = shared_scale(rows)
    assert scaled == [[0.01, 0.0, 1 / 300], [1.0, 0.5, 0.0]]  # 3 is short beside 300
    assert shared_scale([[0, 0]]) == [[0.0, 0.0]]


def test_interval_chart_draws_one_whisker_per_group_within_the_axis() -> None:
    svg = interval_chart(
        [Span("v1", 40, 20, 60), Span("v2", 90, 70, 120)],
        title="pass rate",
        css_class="compare",
        lo=0,
        hi=100,
    )
    assert svg.count('class="whisker"') == 2 and 'data-rows="2"' in svg
    ends = [float(x) for x in re.findall(r'class="whisker" x1="[\d.]+" x2="([\d.]+)"', svg)]
    assert ends[1] == 704.0  # 120 is drawn at 100, the axis's end (720 - 16)


def test_time_ranges() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert resolve("7d", None, None, now).since == now - timedelta(days=7)
    assert resolve(None, None, None, now) == resolve("all", None, None, now)
    custom = resolve("custom", "2026-11-01", "2026-11-30", now)
    assert (custom.since, custom.until) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),  # "to" a day includes that day
    )
    assert custom.overlaps_day(datetime(2026, 11, 30)) and not custom.overlaps_day(now)
    # "24 h" at noon overlaps yesterday; yesterday's point is drawn at the range's start.
    day = resolve("24h", None, None, now)
    yesterday = datetime(2026, 11, 30, tzinfo=UTC)
    assert day.overlaps_day(yesterday) and not day.overlaps_day(yesterday - timedelta(days=1))
    assert day.clamp(yesterday) == now - timedelta(hours=24) and day.clamp(now) == now
    for bad in (
        ("1y", None, None),
        ("custom", "yesterday", None),
        ("custom", "2026-11-02", "2026-11-01"),
    ):
        span = resolve(*bad, now)
        assert span.name == "all" and span.since is None and span.notice
    # Named ranges end now; "all" spans the data.
    assert axis(resolve("24h", None, None, now), [], now) == (now - timedelta(hours=24), now)
    first, last = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    assert axis(resolve("all", None, None, now), [last, first], now) == (first, last)
