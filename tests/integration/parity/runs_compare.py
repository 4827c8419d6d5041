"""Comparing runs: a candidate against a base with the gate, and a task's leaderboard."""

from __future__ import annotations

from typing import Any

from evalledger.errors import NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step


def _run(external_id: str, model: str, passed: int, dataset_hash: str = "h1") -> dict[str, Any]:
    """Twelve arithmetic questions, the first ``passed`` answered right (``f1`` continuous)."""
    return {
        "harness": "sdk",
        "external_id": external_id,
        "task": "arith",
        "model": model,
        "dataset_hash": dataset_hash,
        "samples": [
            {
                "sample_id": f"q{i:02d}",
                "scores": {
                    "match": {"value": 1.0 if i < passed else 0.0},
                    "f1": {"value": (i % 5) / 5 if i < passed else 0.1},
                },
            }
            for i in range(12)
        ],
    }


BASE, WORSE = Ref("base", "run.id"), Ref("worse", "run.id")

STEPS = [
    step("record_run", _run("base", "large", 10), save="base"),
    step("record_run", _run("worse", "small", 4), save="worse"),
    step("record_run", _run("moved", "medium", 10, dataset_hash="h2"), save="moved"),
    step("compare_runs", BASE, WORSE, rounds=200),
    step("compare_runs", BASE, WORSE, scorer=["match"], min_effect=0.05, seed=3, rounds=100),
    step("compare_runs", BASE, Ref("moved", "run.id"), rounds=50),
    step("compare_runs", BASE, Ref("moved", "run.id"), allow_dataset_change=True, rounds=50),
    step("compare_runs", BASE, BASE, rounds=10),
    step("compare_runs", BASE, MISSING_ID, raises=NotFoundError),
    step("compare_runs", BASE, WORSE, scorer=["nope"], raises=ValidationFailed),
    step("compare_runs", BASE, WORSE, alpha=0.0, raises=ValidationFailed),
    step("compare_runs", BASE, WORSE, rounds=0, raises=ValidationFailed),
    step("compare_runs", "not-a-uuid", WORSE, raises=ValidationFailed),
    step("run_leaderboard", "arith", scorer="match", rounds=100),
    step("run_leaderboard", "arith", scorer="f1", model=["large", "small"], ratings=True),
    step("run_leaderboard", "arith", raises=ValidationFailed),  # two scorers: name one
    step("run_leaderboard", "arith", scorer="nope", raises=ValidationFailed),
    step("run_leaderboard", "no-such-task", raises=NotFoundError),
    step("run_leaderboard", "", raises=ValidationFailed),
]
