"""One scorer's paired values as numpy arrays, and everything compared from them.

The comparison of two runs of 100,000 samples must answer in under a second (issue #19), so
its figures are computed on arrays instead of one Python object per pair: the database
returns the paired values already joined and ordered (:mod:`evalledger.runs.compare_repository`),
and :func:`from_alignment` turns the pure :func:`.align.align` result into the same arrays, so
both ways of comparing run this one implementation.

The figures are those of the pure-Python functions they replace, to the last digit: sums are
:func:`math.fsum` (exactly rounded) where those were, per-sample sums of two epochs are one
(exact) addition and of more epochs are ``math.fsum`` per sample, the ranks of the Wilcoxon
test tie exactly where the values are equal. Only the bootstrap's random draws come from
numpy (:mod:`.resample`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from evalledger.runtime import gc_paused
from evalledger.stats.align import Alignment, MissingSample
from evalledger.stats.clustered import MeanEstimate, estimate_from_totals
from evalledger.stats.compare import (
    DIFFERENCE_METHOD,
    DifferenceEstimate,
    Kind,
    PairedTest,
    SampleChange,
    SampleCounts,
    ScorerComparison,
    TestName,
    z_for,
)
from evalledger.stats.paired import SignedRankResult, mcnemar_exact, signed_rank_result
from evalledger.stats.resample import Floats, Ints, bootstrap_means, percentile_interval


@dataclass(frozen=True)
class PairedValues:
    """One scorer's pairs, sorted by (sample id, epoch), as arrays.

    ``starts``: the position of each sample's first pair (ascending, 0 first when there are
    pairs): a sample and its epochs are one cluster. ``sample_ids`` / ``epochs``: per pair,
    needed (and possibly only given) where the candidate scored lower than the base, the
    pairs the comparison lists by name. ``missing``: the (sample id, epoch)s one run lacks.
    """

    scorer: str
    base: Floats
    candidate: Floats
    starts: Ints
    sample_ids: Sequence[str | None]
    epochs: Sequence[int | None]
    missing: tuple[MissingSample, ...]


def sample_starts(sample_ids: Sequence[str]) -> Ints:
    """Positions where a new sample id begins in ``sample_ids`` (sorted by sample id)."""
    return np.array(
        [i for i, sid in enumerate(sample_ids) if i == 0 or sid != sample_ids[i - 1]],
        dtype=np.int64,
    )


def from_alignment(alignment: Alignment) -> PairedValues:
    """The arrays of a pure :class:`~.align.Alignment` (its pairs are sorted already)."""
    pairs = alignment.pairs
    sample_ids = [p.sample_id for p in pairs]
    return PairedValues(
        scorer=alignment.scorer,
        base=np.array([p.base for p in pairs], dtype=np.float64),
        candidate=np.array([p.candidate for p in pairs], dtype=np.float64),
        starts=sample_starts(sample_ids),
        sample_ids=sample_ids,
        epochs=[p.epoch for p in pairs],
        missing=alignment.missing,
    )


def is_binary(values: Floats) -> bool:
    """Whether every value is 0 or 1 (:func:`.align.is_binary` of an array)."""
    return bool(((values == 0.0) | (values == 1.0)).all())


def check_finite(paired: PairedValues) -> None:
    """Refuse a non-finite value (ValueError naming the sample), as :func:`.align.scorer_values`
    does for the pure path."""
    for name, values in (("base", paired.base), ("candidate", paired.candidate)):
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            i = int(bad[0])
            raise ValueError(
                f"scores: sample {paired.sample_ids[i]!r} epoch {paired.epochs[i]} scorer "
                f"{paired.scorer!r} has a non-finite value {float(values[i])!r} in the {name}"
            )


def cluster_sums(values: Floats, starts: Ints, sizes: Ints) -> Floats:
    """Each sample's sum of its epochs' values, exactly rounded (as ``math.fsum`` per sample).

    One or two values per sample: ``np.add.reduceat`` (a single addition is exactly
    rounded). More: ``math.fsum`` of each sample, since the order in which three or more
    values are added changes the last digit, and with it which per-sample means tie.
    """
    if len(starts) == 0:
        return np.empty(0, dtype=np.float64)
    if int(sizes.max()) <= 2:
        return np.add.reduceat(values, starts)
    listed: list[float] = values.tolist()
    ends = [*starts.tolist()[1:], len(listed)]
    return np.array(
        [math.fsum(listed[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)],
        dtype=np.float64,
    )


def _fsum(values: Floats) -> float:
    return math.fsum(values.tolist())


def mean_of(values: Floats, starts: Ints, sizes: Ints, binary: bool, z: float) -> MeanEstimate:
    """:func:`.clustered.mean_estimate` of one run's paired values."""
    total = _fsum(cluster_sums(values, starts, sizes))

    def spread(mean: float) -> float:
        deviations: list[float] = cluster_sums(values - mean, starts, sizes).tolist()
        return math.fsum(d**2 for d in deviations)

    return estimate_from_totals(len(values), len(starts), total, binary, z, spread)


def signed_rank(differences: Floats) -> SignedRankResult:
    """:func:`.paired.wilcoxon_signed_rank` of an array: zeros dropped, average ranks of the
    absolute values (ties where they are equal), the sum of the positive ones' ranks."""
    nonzero = differences[differences != 0]
    if not np.isfinite(nonzero).all():
        raise ValueError(
            f"differences must be finite, got {float(nonzero[~np.isfinite(nonzero)][0])!r}"
        )
    n = len(nonzero)
    if n == 0:
        return SignedRankResult(0.0, 1.0, "exact", 0)
    absolute = np.abs(nonzero)
    order = np.argsort(absolute, kind="stable")
    ordered = absolute[order]
    first = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.append(first, n))
    average = first + (sizes - 1) / 2 + 1  # 1-based average rank of each tie group
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(average, sizes)
    w_plus = float(ranks[nonzero > 0].sum())  # half-integers: exact in any order
    return signed_rank_result(n, w_plus, sizes[sizes > 1].tolist())


def _paired_test(
    paired: PairedValues, sample_differences: Floats, kind: Kind, max_epochs: int
) -> PairedTest:
    if len(sample_differences) == 0:
        return PairedTest("none", None, 1.0)
    if kind == "binary" and max_epochs == 1:
        base_only = int(np.count_nonzero(paired.base > paired.candidate))
        candidate_only = int(np.count_nonzero(paired.candidate > paired.base))
        p_value = mcnemar_exact(base_only, candidate_only)
        return PairedTest(
            "mcnemar_exact", min(base_only, candidate_only), p_value, base_only, candidate_only
        )
    result = signed_rank(sample_differences)
    name: TestName = "wilcoxon_exact" if result.method == "exact" else "wilcoxon_normal"
    return PairedTest(name, result.statistic, result.p_value)


def _regressed(paired: PairedValues, differences: Floats) -> tuple[SampleChange, ...]:
    """The pairs the candidate scored lower, by difference (most negative first), then by
    (sample id, epoch): the pairs' own order, which a stable sort keeps among equals."""
    lower = np.flatnonzero(paired.candidate < paired.base)
    ordered = lower[np.argsort(differences[lower], kind="stable")]
    positions: list[int] = ordered.tolist()
    sample_ids = [paired.sample_ids[i] for i in positions]
    epochs = [paired.epochs[i] for i in positions]
    if None in sample_ids or None in epochs:
        raise ValueError(f"paired values of {paired.scorer!r}: a regressed pair is not named")
    # Tens of thousands of objects that all stay alive: the collector's passes would scan the
    # server's whole heap and free nothing (0.25 s instead of 0.09 s for 46,000 regressed
    # samples, measured in process on PostgreSQL).
    with gc_paused():
        return tuple(
            map(
                SampleChange,
                cast(list[str], sample_ids),
                cast(list[int], epochs),
                paired.base[ordered].tolist(),
                paired.candidate[ordered].tolist(),
                differences[ordered].tolist(),
            )
        )


def compare_paired(
    paired: PairedValues, kind: Kind, confidence: float = 0.95, rounds: int = 1000, seed: int = 0
) -> ScorerComparison:
    """Everything the comparison says about one scorer, from its paired arrays (see
    :mod:`.compare` for what each figure is)."""
    check_finite(paired)
    n_pairs = len(paired.base)
    starts = paired.starts
    sizes = np.diff(np.append(starts, n_pairs)).astype(np.int64)
    binary = kind == "binary"
    z = z_for(confidence)
    differences = paired.candidate - paired.base
    difference_sums = cluster_sums(differences, starts, sizes)
    interval = (
        percentile_interval(bootstrap_means(difference_sums, sizes, rounds, seed), confidence)
        if n_pairs
        else None
    )
    max_epochs = int(sizes.max()) if len(sizes) else 0
    regressed = _regressed(paired, differences)
    improved = int(np.count_nonzero(paired.candidate > paired.base))
    return ScorerComparison(
        scorer=paired.scorer,
        kind=kind,
        n_pairs=n_pairs,
        n_samples=len(starts),
        max_epochs=max_epochs,
        base=mean_of(paired.base, starts, sizes, binary, z),
        candidate=mean_of(paired.candidate, starts, sizes, binary, z),
        difference=DifferenceEstimate(
            estimate=_fsum(difference_sums) / n_pairs if n_pairs else None,
            low=interval[0] if interval else None,
            high=interval[1] if interval else None,
            confidence=confidence,
            method=DIFFERENCE_METHOD,
            rounds=rounds,
            seed=seed,
        ),
        test=_paired_test(paired, difference_sums / sizes, kind, max_epochs),
        counts=SampleCounts(
            improved=improved,
            regressed=len(regressed),
            unchanged=n_pairs - improved - len(regressed),
            missing=len(paired.missing),
        ),
        regressed_samples=regressed,
        missing=paired.missing,
    )
