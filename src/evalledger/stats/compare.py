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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from evalledger.stats.align import (
    Alignment,
    MissingSample,
    Pair,
    RunSamples,
    align_values,
    by_sample,
    dataset_changed,
    is_binary,
    scorer_values,
    scorers_of,
)
from evalledger.stats.bootstrap import check_bootstrap_parameters, cluster_bootstrap_interval
from evalledger.stats.clustered import MeanEstimate, cluster_totals, mean_estimate
from evalledger.stats.jsonable import AsDict
from evalledger.stats.paired import mcnemar_exact, wilcoxon_signed_rank

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


def _paired_test(samples: Sequence[Sequence[Pair]], kind: Kind) -> PairedTest:
    if not samples:
        return PairedTest("none", None, 1.0)
    if kind == "binary" and all(len(epochs) == 1 for epochs in samples):
        base_only = sum(1 for (p,) in samples if p.base > p.candidate)
        candidate_only = sum(1 for (p,) in samples if p.candidate > p.base)
        p_value = mcnemar_exact(base_only, candidate_only)
        return PairedTest(
            "mcnemar_exact", min(base_only, candidate_only), p_value, base_only, candidate_only
        )
    result = wilcoxon_signed_rank(
        [math.fsum(p.difference for p in epochs) / len(epochs) for epochs in samples]
    )
    name: TestName = "wilcoxon_exact" if result.method == "exact" else "wilcoxon_normal"
    return PairedTest(name, result.statistic, result.p_value)


def compare_alignment(
    alignment: Alignment,
    kind: Kind,
    confidence: float = 0.95,
    rounds: int = 1000,
    seed: int = 0,
) -> ScorerComparison:
    """The comparison of one scorer's aligned samples (what :func:`compare` does per scorer)."""
    check_bootstrap_parameters(rounds, confidence)
    pairs = alignment.pairs
    samples = by_sample(pairs)
    binary = kind == "binary"
    z = z_for(confidence)
    differences = [[p.difference for p in epochs] for epochs in samples]
    interval = cluster_bootstrap_interval(cluster_totals(differences), rounds, seed, confidence)
    estimate = math.fsum(map(math.fsum, differences)) / len(pairs) if pairs else None
    regressed = sorted(
        (
            SampleChange(p.sample_id, p.epoch, p.base, p.candidate, p.difference)
            for p in pairs
            if p.candidate < p.base
        ),
        key=lambda c: (c.difference, c.sample_id, c.epoch),
    )
    improved = sum(1 for p in pairs if p.candidate > p.base)
    return ScorerComparison(
        scorer=alignment.scorer,
        kind=kind,
        n_pairs=len(pairs),
        n_samples=len(samples),
        max_epochs=max(map(len, samples), default=0),
        base=mean_estimate([[p.base for p in epochs] for epochs in samples], binary, z),
        candidate=mean_estimate([[p.candidate for p in epochs] for epochs in samples], binary, z),
        difference=DifferenceEstimate(
            estimate=estimate,
            low=interval[0] if interval else None,
            high=interval[1] if interval else None,
            confidence=confidence,
            method=DIFFERENCE_METHOD,
            rounds=rounds,
            seed=seed,
        ),
        test=_paired_test(samples, kind),
        counts=SampleCounts(
            improved=improved,
            regressed=len(regressed),
            unchanged=len(pairs) - improved - len(regressed),
            missing=len(alignment.missing),
        ),
        regressed_samples=tuple(regressed),
        missing=alignment.missing,
    )


def kind_of(values: Iterable[float], scorer: str, declared: Kind | None = None) -> Kind:
    """``binary`` when every value of the scorer is 0 or 1, else ``continuous``.

    A declared kind wins, but ``binary`` declared for values other than 0 and 1 is refused.
    """
    if declared not in (None, "binary", "continuous"):
        raise ValueError(f"kinds: scorer {scorer!r}: kind must be binary or continuous")
    binary = is_binary(values)
    if declared == "binary" and not binary:
        raise ValueError(f"kinds: scorer {scorer!r} is declared binary but has values not 0 or 1")
    if declared is not None:
        return declared
    return "binary" if binary else "continuous"


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
    names = known if scorers is None else list(dict.fromkeys(scorers))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"scorers: {unknown} not used by either run; known: {known}")
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
    return Comparison(
        base_dataset_hash=base.dataset_hash,
        candidate_dataset_hash=candidate.dataset_hash,
        dataset_changed=dataset_changed([base.dataset_hash, candidate.dataset_hash]),
        scorers=tuple(entries),
    )
