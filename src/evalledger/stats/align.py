"""Aligning two runs' samples on (sample id, epoch): the input of every paired statistic.

A comparison is only honest when it compares the same questions: a sample that one run has
and the other lacks (it errored, was filtered, the dataset changed) is reported as missing
and takes no part in the means or the tests. It never counts as a pass, and never as a fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

#: A sample's identity within a run: (sample id, epoch).
SampleKey = tuple[str, int]


@dataclass(frozen=True)
class SampleScore:
    """One scorer's value for one sample and epoch of a run (1.0/0.0 for pass/fail)."""

    sample_id: str
    epoch: int
    scorer: str
    value: float


@dataclass(frozen=True)
class RunSamples:
    """A run as plain data: its scored samples and the hash of the dataset it ran on."""

    scores: Sequence[SampleScore]
    dataset_hash: str | None = None


class Pair(NamedTuple):
    """One (sample id, epoch) both runs scored with this scorer (a tuple: runs have 10^5)."""

    sample_id: str
    epoch: int
    base: float
    candidate: float

    @property
    def difference(self) -> float:
        return self.candidate - self.base


@dataclass(frozen=True)
class MissingSample:
    """A (sample id, epoch) only one run scored: ``absent_from`` names the run without it."""

    sample_id: str
    epoch: int
    absent_from: Literal["base", "candidate"]


@dataclass(frozen=True)
class Alignment:
    """One scorer's paired samples (sorted by sample id, epoch) and the unpaired ones."""

    scorer: str
    pairs: tuple[Pair, ...]
    missing: tuple[MissingSample, ...]


def scorer_values(run: RunSamples, scorer: str) -> dict[SampleKey, float]:
    """(sample id, epoch) -> value of one scorer; a duplicate or non-finite value is an error.

    Two values for the same sample, epoch and scorer would make the pairing ambiguous, so it
    is refused rather than one of them silently winning.
    """
    values: dict[SampleKey, float] = {}
    for score in run.scores:
        if score.scorer != scorer:
            continue
        key = (score.sample_id, score.epoch)
        if key in values:
            raise ValueError(
                f"scores: sample {score.sample_id!r} epoch {score.epoch} has two values "
                f"for scorer {scorer!r}"
            )
        if not math.isfinite(score.value):
            raise ValueError(
                f"scores: sample {score.sample_id!r} epoch {score.epoch} scorer {scorer!r} "
                f"has a non-finite value {score.value!r}"
            )
        values[key] = float(score.value)
    return values


def scorers_of(*runs: RunSamples) -> list[str]:
    """Every scorer that any of the runs used, sorted."""
    return sorted({score.scorer for run in runs for score in run.scores})


def align(base: RunSamples, candidate: RunSamples, scorer: str) -> Alignment:
    """Pair the two runs' values of ``scorer`` on (sample id, epoch)."""
    return align_values(scorer, scorer_values(base, scorer), scorer_values(candidate, scorer))


def align_values(
    scorer: str,
    base_values: Mapping[SampleKey, float],
    candidate_values: Mapping[SampleKey, float],
) -> Alignment:
    """:func:`align` of values already read with :func:`scorer_values`."""
    pairs = tuple(
        Pair(key[0], key[1], base_values[key], candidate_values[key])
        for key in sorted(base_values.keys() & candidate_values.keys())
    )
    missing = sorted(
        [MissingSample(k[0], k[1], "candidate") for k in base_values.keys() - candidate_values]
        + [MissingSample(k[0], k[1], "base") for k in candidate_values.keys() - base_values],
        key=lambda m: (m.sample_id, m.epoch),
    )
    return Alignment(scorer, pairs, tuple(missing))


def dataset_changed(hashes: Iterable[str | None]) -> bool:
    """Whether two or more of the runs' known dataset hashes differ.

    A run without a hash (its harness recorded none) cannot be checked, so it is not called
    a change; the hashes themselves are in every result for a reader to see.
    """
    return len({h for h in hashes if h is not None}) > 1


def is_binary(values: Iterable[float]) -> bool:
    """Whether every value is 0 or 1: a pass/fail scorer."""
    return all(v in (0.0, 1.0) for v in values)


def by_sample(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """The pairs grouped by sample id (epochs of one sample are one cluster), in order.

    ``pairs`` must be sorted by sample id, as :func:`align` returns them.
    """
    groups: list[list[Pair]] = []
    for pair in pairs:
        if groups and groups[-1][0].sample_id == pair.sample_id:
            groups[-1].append(pair)
        else:
            groups.append([pair])
    return groups
