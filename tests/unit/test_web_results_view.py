"""How ``/results`` reads its query parameters: leniently, with the results query's rules."""

from __future__ import annotations

from datetime import UTC, datetime

from evalledger.web.results_pages import read_view


def test_filters_are_the_results_query_keyword_arguments() -> None:
    view = read_view(
        {
            "agent": "guardian",
            "passed": "false",
            "min_score": "12.5",
            "since": "2026-11-30",
            "until": "2026-11-30",
            "sort": "score",
            "order": "asc",
            "limit": "10",
        },
        ["nightly", " "],
        ["dataset=custody-v2"],
    )
    assert view.filters == {
        "agent": "guardian",
        "passed": False,
        "min_score": 12.5,
        "since": datetime(2026, 11, 30, tzinfo=UTC),
        "until": datetime(2026, 12, 1, tzinfo=UTC),  # "until a day" includes that day
        "tag": ["nightly"],
        "metadata": ["dataset=custody-v2"],
    }
    assert (view.sort, view.order, view.limit, view.notices) == ("score", "asc", 10, [])


def test_unreadable_values_are_left_out_with_a_notice_each() -> None:
    view = read_view(
        {
            "agent": "guardian",
            "passed": "maybe",
            "min_score": "80",
            "max_score": "20",  # min above max: the query's own rule
            "difficulty": "impossible",
            "sort": "colour",
            "limit": "100000",
        },
        [],
        ["no-equals-sign"],
    )
    assert view.filters == {"agent": "guardian", "max_score": 20.0}  # min_score is blamed
    text = " ".join(view.notices)
    for name in ("passed", "min_score", "difficulty", "metadata", "sort", "limit"):
        assert name in text
    assert (view.sort, view.limit) == ("time", 25)


def test_an_empty_form_is_every_result() -> None:
    view = read_view({"agent": "", "passed": "", "q": "  "}, [], [])
    assert view.filters == {} and view.notices == [] and view.q == ""
