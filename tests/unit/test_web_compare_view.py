"""The compare page's view model: its parameters, the samples table's order (regressed first)
and pages, the gate's note and the CLI command with the same figures; no database."""

from __future__ import annotations

from evalledger.stats.align import RunSamples, SampleScore
from evalledger.stats.compare import compare
from evalledger.stats.gate import gate
from evalledger.web.compare_view import (
    CompareView,
    cli_command,
    disagreement,
    gate_note,
    outcome_counts,
    page_of,
    read_compare_view,
    sample_rows,
    scorer_figures,
    table_scorer,
)

#: sample -> (base, candidate) values of "match"; None: the run lacks the sample.
VALUES: dict[str, tuple[float | None, float | None]] = {
    "a": (1.0, 0.0),  # regressed by 1
    "b": (0.9, 0.6),  # regressed by 0.3
    "c": (0.5, 0.5),  # unchanged
    "d": (0.2, 0.4),  # improved by 0.2
    "e": (0.1, 0.9),  # improved by 0.8
    "f": (0.7, 0.7),  # unchanged
    "g": (0.3, None),  # missing from the candidate
    "h": (None, 0.8),  # missing from the base
}


def _values(side: int) -> dict[tuple[str, int], float]:
    return {(s, 1): v[side] for s, v in VALUES.items() if v[side] is not None}  # type: ignore[misc]


def _run(side: int, dataset: str = "h1") -> RunSamples:
    scores = [SampleScore(s, e, "match", v) for (s, e), v in _values(side).items()]
    scores += [SampleScore(s, e, "other", 1.0) for (s, e) in _values(side)]
    return RunSamples(scores, dataset)


def test_the_table_is_regressed_largest_drop_first_then_improved_unchanged_missing() -> None:
    entry = compare(_run(0), _run(1), rounds=50).scorer("match")
    rows = sample_rows(entry, _values(0), _values(1))
    assert [(r.sample_id, r.outcome) for r in rows] == [
        ("a", "regressed"),
        ("b", "regressed"),
        ("e", "improved"),
        ("d", "improved"),
        ("c", "unchanged"),
        ("f", "unchanged"),
        ("g", "missing"),
        ("h", "missing"),
    ]
    # Both values beside each other; a missing sample keeps the value its one run has.
    assert (rows[0].base, rows[0].candidate, rows[0].difference) == (1.0, 0.0, -1.0)
    assert (rows[6].base, rows[6].candidate, rows[6].difference) == (0.3, None, None)
    assert (rows[7].base, rows[7].candidate) == (None, 0.8)
    # The table's outcomes add up to the comparison's counts.
    assert outcome_counts(rows) == {"regressed": 2, "improved": 2, "unchanged": 2, "missing": 2}
    assert disagreement(entry, rows) is None
    assert disagreement(entry, rows[1:]) is not None


def test_parameters_are_read_leniently_with_notices() -> None:
    view = read_compare_view(
        {
            "scorer": " match ",
            "alpha": "0.01",
            "min_effect": "0.05",
            "allow_dataset_change": "true",
            "show": "regressed",
            "limit": "10",
            "page": "3",
        }
    )
    assert (view.scorer, view.alpha, view.min_effect, view.allow_dataset_change) == (
        "match",
        0.01,
        0.05,
        True,
    )
    assert (view.show, view.limit, view.page, view.notices) == ("regressed", 10, 3, [])

    bad = read_compare_view(
        {"alpha": "2", "min_effect": "-1", "show": "worse", "limit": "0", "page": "x"}
    )
    assert (bad.alpha, bad.min_effect, bad.show, bad.limit, bad.page) == (0.05, 0.0, None, 25, 1)
    named = [n.split(":")[0] for n in bad.notices]
    assert named == ["alpha", "min_effect", "show", "limit", "page"]
    assert (
        read_compare_view({"alpha": "nan", "min_effect": "inf"}).notices[1].startswith("min_effect")
    )


def test_the_table_scorer_is_by_else_the_first_compared() -> None:
    comparison = compare(_run(0), _run(1), rounds=50)
    assert table_scorer(comparison, CompareView()).scorer == "match"  # type: ignore[union-attr]
    assert table_scorer(comparison, CompareView(by="other")).scorer == "other"  # type: ignore[union-attr]
    view = CompareView(by="nope")
    assert table_scorer(comparison, view).scorer == "match"  # type: ignore[union-attr]
    assert view.notices and "nope" in view.notices[0]


def test_pages_of_the_table_and_one_outcome_only() -> None:
    entry = compare(_run(0), _run(1), rounds=50).scorer("match")
    rows = sample_rows(entry, _values(0), _values(1))
    first = page_of(rows, CompareView(limit=3))
    assert [r.sample_id for r in first.rows] == ["a", "b", "e"]
    assert (first.page, first.pages, first.total, first.previous, first.next) == (1, 3, 8, None, 2)
    last = page_of(rows, CompareView(limit=3, page=3))
    assert [r.sample_id for r in last.rows] == ["g", "h"] and last.first == 7 and last.next is None
    beyond = CompareView(limit=3, page=9)
    assert page_of(rows, beyond).page == 3 and "showing the last" in beyond.notices[0]
    improved = page_of(rows, CompareView(show="improved"))
    assert [r.sample_id for r in improved.rows] == ["e", "d"] and improved.pages == 1
    assert page_of([], CompareView()).pages == 1


def test_every_scorer_gets_its_verdict_and_the_note_names_holm() -> None:
    comparison = compare(_run(0), _run(1), rounds=50)
    verdict = gate(comparison, alpha=0.1, min_effect=0.02)
    figures = scorer_figures(comparison, verdict)
    assert [(f.entry.scorer, f.verdict.scorer) for f in figures if f.verdict] == [
        ("match", "match"),
        ("other", "other"),
    ]
    note = gate_note(verdict)
    assert "Holm" in note and "2 scorers" in note and "0.1" in note and "0.02" in note
    one = gate(comparison, scorers=["match"])
    assert "plain paired test" in gate_note(one)
    assert [f.verdict is None for f in scorer_figures(comparison, one)] == [False, True]


def test_the_cli_command_has_the_pages_parameters() -> None:
    assert cli_command("B", "C", CompareView()) == "evalledger runs compare B C --json"
    view = CompareView(scorer="my scorer", alpha=0.01, min_effect=0.1, allow_dataset_change=True)
    assert cli_command("B", "C", view) == (
        "evalledger runs compare B C --scorer 'my scorer' --alpha 0.01 --min-effect 0.1 "
        "--allow-dataset-change --json"
    )
