"""What ``compare_runs`` and ``run_leaderboard`` answer over the wire.

The figures are the frozen results of :mod:`evalledger.stats` themselves
(:class:`~evalledger.stats.compare.Comparison`, :class:`~evalledger.stats.gate.GateResult`,
:class:`~evalledger.stats.ranking.ModelLeaderboard`), used as pydantic field types: pydantic
validates and serialises standard dataclasses, so the JSON is exactly their ``to_dict()``
(docs/statistics.md), the Client gets the same frozen objects back (with their methods, such
as ``Comparison.scorer``), and there is no second definition of any figure to drift.

Light: pydantic and the standard-library statistics only (the remote Client imports this).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from evalledger.stats.compare import Comparison
from evalledger.stats.gate import GateResult
from evalledger.stats.ranking import ModelLeaderboard


class RunRef(BaseModel):
    """Which run took part, so a reader of the answer knows what was compared."""

    id: uuid.UUID
    harness: str
    external_id: str
    task: str
    model: str | None
    dataset_hash: str | None
    created_at: datetime


class RunComparison(BaseModel):
    """The answer of ``compare_runs``: both runs, the comparison and the gate's verdict
    (``gate.passed`` is False on a significant regression or a refused dataset change)."""

    base: RunRef
    candidate: RunRef
    comparison: Comparison
    gate: GateResult


class RatingOut(BaseModel):
    """A model's Bradley-Terry rating (Elo scale) with its bootstrap interval (None when the
    bootstrap says nothing about it)."""

    model: str
    rating: float
    low: float | None
    high: float | None


class RunLeaderboard(BaseModel):
    """The answer of ``run_leaderboard``: the run each model is ranked by, the ranking with
    its pairwise tests, and (when asked for) Bradley-Terry ratings from per-sample outcomes."""

    task: str
    runs: list[RunRef]
    leaderboard: ModelLeaderboard
    ratings: list[RatingOut]
