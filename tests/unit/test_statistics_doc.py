"""docs/statistics.md promises the exact JSON shape of a comparison and a gate: hold it to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalledger.stats.align import RunSamples, SampleScore
from evalledger.stats.compare import compare
from evalledger.stats.gate import gate
from tests.support.docblocks import parse_blocks

DOC = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"


def shape(value: Any) -> Any:
    """The keys of every object, recursively (a list of objects by its first), values dropped."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value and isinstance(value[0], dict) else []
    return None


def documented_json() -> list[Any]:
    blocks = parse_blocks(DOC.read_text(encoding="utf-8"), "docs/statistics.md")
    return [json.loads(block.code) for block in blocks if block.lang == "json"]


def the_docs_example() -> tuple[dict[str, Any], dict[str, Any]]:
    """The comparison the doc's JSON describes: q4, q5 lost, q6 gained, q7 missing."""
    base = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    candidate = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    runs = [
        RunSamples(
            [SampleScore(f"q{i}", 1, "match", v) for i, v in enumerate(values)], "sha256:0f3a"
        )
        for values in (base, candidate)
    ]
    comparison = compare(runs[0], runs[1], rounds=1000, seed=0)
    return comparison.to_dict(), gate(comparison, min_effect=0.01).to_dict()


def test_the_documented_comparison_json_is_what_to_dict_returns() -> None:
    documented_comparison, documented_gate = documented_json()
    actual_comparison, actual_gate = json.loads(json.dumps(the_docs_example()))
    assert shape(documented_comparison) == shape(actual_comparison)
    assert shape(documented_gate) == shape(actual_gate)
    entry, documented = actual_comparison["scorers"][0], documented_comparison["scorers"][0]
    assert entry["counts"] == documented["counts"]
    assert entry["regressed_samples"] == documented["regressed_samples"]
    assert entry["missing"] == documented["missing"]
    assert entry["test"] == documented["test"]
    for figure in ("base", "candidate", "difference"):
        for bound in ("low", "high"):
            assert round(entry[figure][bound], 3) == documented[figure][bound]
