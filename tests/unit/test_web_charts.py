"""The dashboard's server-rendered SVG charts and its sign-in redirect guard."""

from __future__ import annotations

import re

from evalledger.web.charts import Point, bar, line_chart
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
