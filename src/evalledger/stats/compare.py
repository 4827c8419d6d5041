"""Compare two runs sample by sample: the pure core of ``runs compare`` (no database).

For each scorer: the samples are aligned on (sample id, epoch) (:mod:`.align`); each run's
mean over the paired samples comes with its interval (:mod:`.clustered`); the difference
(candidate - base) with a paired cluster-bootstrap interval (:mod:`.bootstrap`); and a
p-value from the paired test that fits the data (:mod:`.paired`):

* a pass/fail scorer with one epoch per sample: exact McNemar on the discordant pairs;
* anything else (continuous scores, or several epochs per sample): the Wilcoxon signed-rank
  test on each sample's mean difference over its epochs, so epochs never count as
  independent samples.

The per-sample counts (improved / regressed / unchanged / missing) and the list of regressed
samples are over (sample id, epoch) pairs, the unit a harness log records.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from evalledger.stats.align import (
    Alignment,
    MissingSample,
    RunSamples,
    align_values,
    dataset_changed,
    is_binary,
    scorer_values,
    scorers_of,
)
from evalledger.stats.bootstrap import check_bootstrap_parameters
from evalledger.stats.clustered import MeanEstimate
from evalledger.stats.jsonable import AsDict

Kind = Literal["binary", "continuous"]
TestName = Literal["mcnemar_exact", "wilcoxon_exact", "wilcoxon_normal", "none"]

#: How the difference interval is made (stated in every result).
DIFFERENCE_METHOD = "paired cluster bootstrap (percentile), resampling samples"


@dataclass(frozen=True)
class DifferenceEstimate:
    """candidate mean - base mean over the paired values, with its bootstrap interval.

    All None without paired values.
    """

    estimate: float | None
    low: float | None
    high: float | None
    confidence: float
    method: str
    rounds: int
    seed: int


@dataclass(frozen=True)
class PairedTest:
    """The paired test's two-sided p-value.

    ``statistic``: min(b, c) for McNemar, min(W+, W-) for Wilcoxon, None for ``none`` (no
    pairs; p = 1). ``base_only`` / ``candidate_only``: McNemar's discordant counts (pairs
    only the base / only the candidate passed), None for the other tests.
    """

    name: TestName
    statistic: float | None
    p_value: float
    base_only: int | None = None
    candidate_only: int | None = None


@dataclass(frozen=True)
class SampleCounts:
    """Paired (sample id, epoch)s the candidate scored higher / lower / the same, and the
    unpaired ones (in one run only)."""

    improved: int
    regressed: int
    unchanged: int
    missing: int


@dataclass(frozen=True)
class SampleChange:
    """A paired sample whose score changed, with both runs' values."""

    sample_id: str
    epoch: int
    base: float
    candidate: float
    difference: float


@dataclass(frozen=True)
class ScorerComparison:
    """Everything the comparison says about one scorer."""

    scorer: str
    kind: Kind
    n_pairs: int
    n_samples: int
    max_epochs: int
    base: MeanEstimate
    candidate: MeanEstimate
    difference: DifferenceEstimate
    test: PairedTest
    counts: SampleCounts
    regressed_samples: tuple[SampleChange, ...]
    missing: tuple[MissingSample, ...]


@dataclass(frozen=True)
class Comparison(AsDict):
    """The comparison of a candidate run against a base run, one entry per scorer."""

    base_dataset_hash: str | None
    candidate_dataset_hash: str | None
    dataset_changed: bool
    scorers: tuple[ScorerComparison, ...]

    def scorer(self, name: str) -> ScorerComparison:
        """The entry of one scorer (KeyError naming the known ones)."""
        for entry in self.scorers:
            if entry.scorer == name:
                return entry
        raise KeyError(f"no scorer {name!r}; compared: {[s.scorer for s in self.scorers]}")


def z_for(confidence: float) -> float:
    """The two-sided standard normal quantile of a ``confidence`` interval."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def compare_alignment(
    alignment: Alignment,
    kind: Kind,
    confidence: float = 0.95,
    rounds: int = 1000,
    seed: int = 0,
) -> ScorerComparison:
    """The comparison of one scorer's aligned samples (what :func:`compare` does per scorer).

    The figures are computed on arrays (:func:`.paired_arrays.compare_paired`, the same code
    that compares two recorded runs read from the database); numpy is loaded on first use.
    """
    from evalledger.stats import paired_arrays

    check_bootstrap_parameters(rounds, confidence)
    return paired_arrays.compare_paired(
        paired_arrays.from_alignment(alignment), kind, confidence, rounds, seed
    )


def kind_of(values: Iterable[float], scorer: str, declared: Kind | None = None) -> Kind:
    """``binary`` when every value of the scorer is 0 or 1, else ``continuous``.

    A declared kind wins, but ``binary`` declared for values other than 0 and 1 is refused.
    """
    return kind_from(is_binary(values), scorer, declared)


def kind_from(binary: bool, scorer: str, declared: Kind | None = None) -> Kind:
    """:func:`kind_of` for values already known to be all 0 or 1 (``binary``) or not."""
    if declared not in (None, "binary", "continuous"):
        raise ValueError(f"kinds: scorer {scorer!r}: kind must be binary or continuous")
    if declared == "binary" and not binary:
        raise ValueError(f"kinds: scorer {scorer!r} is declared binary but has values not 0 or 1")
    if declared is not None:
        return declared
    return "binary" if binary else "continuous"


def chosen_scorers(known: Sequence[str], scorers: Sequence[str] | None) -> list[str]:
    """The scorers to compare: ``scorers`` (each once, in order) or every ``known`` one; a
    name neither run used is refused (ValueError naming it and the known ones)."""
    names = list(known) if scorers is None else list(dict.fromkeys(scorers))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"scorers: {unknown} not used by either run; known: {list(known)}")
    return names


def comparison_of(
    base_dataset_hash: str | None,
    candidate_dataset_hash: str | None,
    entries: Iterable[ScorerComparison],
) -> Comparison:
    """The :class:`Comparison` of the scorers' entries, with the dataset check."""
    return Comparison(
        base_dataset_hash=base_dataset_hash,
        candidate_dataset_hash=candidate_dataset_hash,
        dataset_changed=dataset_changed([base_dataset_hash, candidate_dataset_hash]),
        scorers=tuple(entries),
    )


def compare(
    base: RunSamples,
    candidate: RunSamples,
    *,
    scorers: Sequence[str] | None = None,
    kinds: Mapping[str, Kind] | None = None,
    confidence: float = 0.95,
    rounds: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Compare ``candidate`` against ``base`` on each scorer (default: all either run used).

    ``kinds`` overrides the detected kind of a scorer. ``rounds`` and ``seed`` drive the
    bootstrap: the same data and seed always give the same intervals. A scorer named in
    ``scorers`` or ``kinds`` that neither run used is refused (ValueError naming it).
    """
    known = scorers_of(base, candidate)
    names = chosen_scorers(known, scorers)
    kinds = kinds or {}
    if unknown_kinds := sorted(set(kinds) - set(known)):
        raise ValueError(f"kinds: {unknown_kinds} not used by either run; known: {known}")
    entries = []
    for name in names:
        base_values, candidate_values = scorer_values(base, name), scorer_values(candidate, name)
        kind = kind_of(
            itertools.chain(base_values.values(), candidate_values.values()),
            name,
            kinds.get(name),
        )
        alignment = align_values(name, base_values, candidate_values)
        entries.append(compare_alignment(alignment, kind, confidence, rounds, seed))
    return comparison_of(base.dataset_hash, candidate.dataset_hash, entries)
