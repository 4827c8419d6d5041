"""How the runs pages read their filters, walk pages with a cursor stack in the URL, share an
axis per scorer and clip long sample texts."""

from __future__ import annotations

import re

from evalledger.runs.schemas import ScorerSummary
from evalledger.web.charts import whisker
from evalledger.web.runs_view import (
    MAX_BACK,
    Pager,
    Scale,
    as_text,
    read_runs_view,
    read_samples_view,
    scale_of,
    scales,
    scorer_names,
)


def _summary(name: str, mean: float | None, low: float | None, high: float | None) -> ScorerSummary:
    return ScorerSummary(
        scorer=name,
        samples=10,
        scored=10,
        passed=5,
        mean=mean,
        ci_low=low,
        ci_high=high,
        interval="wilson",
        reported={},
    )


def test_runs_filters_are_list_runs_keyword_arguments() -> None:
    view = read_runs_view(
        {"task": " arith ", "model": "mockllm/small", "harness": "inspect_ai", "limit": "10"},
        ["demo", " ", "demo", "nightly"],
    )
    assert view.filters == {
        "task": "arith",
        "model": "mockllm/small",
        "harness": "inspect_ai",
        "tag": ["demo", "nightly"],
    }
    assert (view.limit, view.notices) == (10, [])


def test_values_the_api_refuses_are_left_out_with_a_notice_each() -> None:
    view = read_runs_view(
        {"harness": "jupyter", "status": "done", "agent": "a" * 101, "limit": "0"}, ["t" * 65]
    )
    assert view.filters == {}
    assert view.limit == 25
    joined = " ".join(view.notices)
    for name in ("harness", "status", "agent", "limit", "tag"):
        assert name in joined


def test_samples_filter_knows_the_runs_scorers_and_reads_outcomes() -> None:
    view = read_samples_view({"scorer": "match", "passed": "failed", "search": "q1"}, ["match"])
    assert view.filters == {"scorer": "match", "passed": False, "search": "q1"}
    other = read_samples_view({"scorer": "rubric", "passed": "maybe"}, ["match"])
    assert other.filters == {"scorer": None, "passed": None, "search": None}
    assert len(other.notices) == 2 and "rubric" in other.notices[0]
    assert read_samples_view({"passed": "true"}, []).passed is True


def test_next_then_previous_returns_to_the_same_page() -> None:
    first = Pager.read(None, None)
    assert first.at_start and first.previous() is None
    to_second = first.next("c1")
    assert to_second == {"cursor": "c1", "back": [""]}
    second = Pager.read(to_second["cursor"], to_second["back"])
    to_third = second.next("c2")
    assert to_third == {"cursor": "c2", "back": ["", "c1"]}
    third = Pager.read(to_third["cursor"], to_third["back"])
    assert third.previous() == {"cursor": "c1", "back": [""]}
    assert second.previous() == {"cursor": None, "back": None}  # the first page: no cursor
    assert third.next(None) is None  # the last page


def test_the_stack_is_bounded_and_a_cut_stack_leads_to_the_start() -> None:
    pager = Pager.read("c0", None)
    for i in range(1, MAX_BACK + 5):
        step = pager.next(f"c{i}")
        assert step is not None
        pager = Pager.read(step["cursor"], step["back"])
    assert len(pager.back) == MAX_BACK
    assert Pager.read("c9", []).previous() == {"cursor": None, "back": None}
    assert Pager.read(None, ["c1"]).back == ()  # the first page has nothing before it


def test_a_scorer_column_shares_one_axis_at_least_zero_to_one() -> None:
    assert scale_of([_summary("m", 0.5, 0.4, 0.6)]) == Scale(0.0, 1.0)
    assert scale_of([_summary("m", 3.0, 2.0, 4.5), _summary("m", -1, -2, 0)]) == Scale(-2, 4.5)
    assert scale_of([_summary("m", None, None, None)]) == Scale(0.0, 1.0)
    runs = [[_summary("a", 0.5, 0.4, 0.6)], [_summary("b", 5, 4, 6), _summary("a", 2, 1, 3)]]
    assert scorer_names(runs) == ["a", "b"]
    assert scales(runs) == {"a": Scale(0.0, 3.0), "b": Scale(0.0, 6.0)}


def test_whisker_spans_the_interval_on_the_shared_axis() -> None:
    svg = whisker(0.5, 0.25, 0.75, 0.0, 1.0, "match: 0.5 <b>")
    x1, x2 = (float(v) for v in re.findall(r'class="whisker" x1="([\d.]+)" x2="([\d.]+)"', svg)[0])
    (cx,) = (float(v) for v in re.findall(r'cx="([\d.]+)"', svg))
    assert x1 < cx < x2 and abs((x2 - cx) - (cx - x1)) < 0.2
    assert "&lt;b&gt;" in svg  # the label is escaped
    # A value outside the axis sits at its end, never outside the cell.
    far = whisker(7, 6, 8, 0.0, 1.0, "x")
    assert re.findall(r'cx="([\d.]+)"', far) == ["115.0"]


def test_sample_texts_are_shown_as_json_and_clipped() -> None:
    assert as_text(None) is None
    plain = as_text("What is 2 + 2?")
    assert plain is not None and (plain.body, plain.clipped) == ("What is 2 + 2?", False)
    structured = as_text([{"role": "user", "content": "hi"}])
    assert structured is not None and '"role": "user"' in structured.body
    long = as_text("x" * 50, limit=10)
    assert long is not None and long.clipped and (len(long.body), long.total) == (10, 50)
