"""The reference implementation of the pairwise ratings: the plain per-outcome loops that
:mod:`evalledger.stats.ratings` ran until issue 20 (pure Python, stdlib only).

Kept here, unchanged, only so that tests can check the numpy implementation against it
(``tests/unit/test_ratings_reference.py``): the same ratings to 1e-6 on random data, with
ties and disconnected groups, and the same bootstrap intervals for the same seed.

What follows is that module's own description.

Pairwise ratings (Elo, Bradley-Terry) and bootstrap intervals from per-event agent scores.

An *event* is one competition round: a mapping of agent name to that agent's score in the
round. Every event is reduced to pairwise outcomes between its participants (higher score
wins, equal scores tie), which is the data model both rating systems share. The module is
pure: no I/O, no database, stdlib only, so it can be called from the API, the CLI or a
notebook alike and is cheap to test exhaustively.

Two rating systems are offered because they answer different questions:

* **Elo** (as FastChat / Chatbot Arena compute it) is an online, *order-dependent* update:
  it models "what would a running leaderboard show after these results, in this order".
* **Bradley-Terry** is the maximum-likelihood fit of the same logistic model to all the
  results at once; it is *order-independent* and is the statistically preferable summary
  of a fixed body of evidence.

Both are reported on the familiar Elo scale (``initial`` +/- ``scale`` points per factor of
``base`` in odds), so they can be compared side by side.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from evalledger.stats.bootstrap import percentile

__all__ = [
    "RatingInterval",
    "bootstrap_intervals",
    "bradley_terry_ratings",
    "elo_ratings",
    "pairwise_outcomes",
    "rank",
]

Event = Mapping[str, float]
"""One event: agent name -> that agent's score in the event (higher is better)."""


@dataclass(frozen=True, slots=True)
class RatingInterval:
    """A point rating with a bootstrap confidence interval around it.

    ``rating`` is the estimate on the full data; ``lower``/``upper`` are percentiles of the
    bootstrap distribution, so (as with any percentile bootstrap) they are not guaranteed to
    bracket ``rating`` for small or skewed samples.
    """

    rating: float
    lower: float
    upper: float


def _outcome(score_a: float, score_b: float) -> float:
    if score_a > score_b:
        return 1.0
    if score_a < score_b:
        return 0.0
    return 0.5


def _event_outcomes(index: int, event: Event) -> list[tuple[str, str, float]]:
    """The pairwise outcomes of one event (see :func:`pairwise_outcomes`), validated."""
    for agent, score in event.items():
        if not math.isfinite(score):
            raise ValueError(
                f"event {index}: score for agent {agent!r} must be finite, got {score!r}"
            )
    agents = sorted(event)
    return [
        (a, b, _outcome(event[a], event[b])) for i, a in enumerate(agents) for b in agents[i + 1 :]
    ]


def pairwise_outcomes(events: Iterable[Event]) -> list[tuple[str, str, float]]:
    """Expand events into ``(a, b, score_of_a)`` pairwise outcomes.

    Every pair of participants of an event yields one outcome: 1.0 if ``a`` scored higher,
    0.0 if lower, 0.5 for a tie. The order is deterministic - event order first, then pairs
    in sorted name order with ``a < b`` - because Elo is order-dependent and we want the same
    input to always give the same ratings regardless of dict insertion order.

    Raises ``ValueError`` for a non-finite score: NaN compares false both ways and would
    silently count as a tie, which is a data error rather than a result.
    """
    outcomes: list[tuple[str, str, float]] = []
    for index, event in enumerate(events):
        outcomes.extend(_event_outcomes(index, event))
    return outcomes


def _check_scale(base: float, scale: float) -> None:
    # base <= 1 would make log_base undefined or flip "higher is better"; scale <= 0 likewise.
    if not base > 1.0:
        raise ValueError(f"base must be > 1, got {base!r}")
    if not scale > 0.0:
        raise ValueError(f"scale must be > 0, got {scale!r}")


def elo_ratings(
    events: Iterable[Event],
    k: float = 4.0,
    base: float = 10.0,
    scale: float = 400.0,
    initial: float = 1000.0,
) -> dict[str, float]:
    """Online Elo ratings, updated sequentially over :func:`pairwise_outcomes`.

    This mirrors FastChat's ``compute_elo``: for each outcome both players are updated from
    their ratings *before* that outcome, with expected score
    ``1 / (1 + base ** ((r_b - r_a) / scale))`` and step ``k``. The small default ``k`` (4,
    not chess's 16-32) is Chatbot Arena's choice for many noisy, non-adaptive comparisons.

    The result depends on the order of events (and, within an event, on the sorted pair
    order), which is the defining difference from :func:`bradley_terry_ratings`. Only agents
    that took part in at least one pair appear in the result.
    """
    _check_scale(base, scale)
    if not k > 0.0:
        raise ValueError(f"k must be > 0, got {k!r}")
    return _elo(pairwise_outcomes(events), k=k, base=base, scale=scale, initial=initial)


def _elo(
    outcomes: Iterable[tuple[str, str, float]],
    k: float = 4.0,
    base: float = 10.0,
    scale: float = 400.0,
    initial: float = 1000.0,
) -> dict[str, float]:
    """:func:`elo_ratings` over already expanded (and validated) outcomes."""
    ratings: dict[str, float] = {}
    rating = ratings.get
    for a, b, score_a in outcomes:
        r_a = rating(a, initial)
        r_b = rating(b, initial)
        expected_a = 1.0 / (1.0 + base ** ((r_b - r_a) / scale))
        expected_b = 1.0 / (1.0 + base ** ((r_a - r_b) / scale))
        ratings[a] = r_a + k * (score_a - expected_a)
        ratings[b] = r_b + k * ((1.0 - score_a) - expected_b)
    return ratings


def _components(neighbours: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Connected components of the (undirected) "has played" graph, deterministic order."""
    seen: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        seen.add(start)
        stack = [start]
        component: list[str] = []
        while stack:
            node = stack.pop()
            component.append(node)
            for other in neighbours[node]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        components.append(sorted(component))
    return components


def bradley_terry_ratings(
    events: Iterable[Event],
    scale: float = 400.0,
    base: float = 10.0,
    initial: float = 1000.0,
    max_iter: int = 100_000,
    tol: float = 1e-10,
    prior: float = 0.01,
) -> dict[str, float]:
    """Order-independent Bradley-Terry ratings by (lightly regularised) maximum likelihood.

    Model: ``P(i beats j) = p_i / (p_i + p_j)``. The data are aggregated into win counts, with
    a tie counting as half a win to each side (the usual treatment, and what FastChat's MLE
    does), so the result depends only on the multiset of outcomes, never on their order.

    **Prior.** Every pair of agents that met gets ``prior`` extra *virtual ties* (i.e.
    ``prior / 2`` virtual wins each way). Without it, an agent that never lost (or never won)
    has an infinite MLE and the fit diverges. The virtual ties make every observed pair
    "won in both directions", which guarantees a finite, unique optimum within each connected
    group of agents, while 0.01 of a game is far too small to move ratings that are backed by
    real evidence. It is symmetric, so it never favours an agent, and it only touches pairs
    that actually met, so it invents no comparisons. ``prior`` must be > 0 for that reason.

    **Solver.** The fixed point is found with Newman's (2023, JMLR, "Efficient computation of
    rankings from pairwise comparisons") iteration
    ``p_i <- sum_j w_ij p_j/(p_i+p_j) / sum_j w_ji/(p_i+p_j)``, which has exactly the same
    fixed point as Hunter's (2004) MM / Zermelo iteration ``p_i <- W_i / sum_j n_ij/(p_i+p_j)``.
    We deliberately do not use the MM form: its convergence rate degrades to ``1 - O(prior/n)``
    when one agent dominates (the very case the prior exists for), so with a 0.01 prior and a
    few hundred clean sweeps it needs 10^5+ iterations and, if stopped early, returns visibly
    wrong ratings. Newman's form converges in a handful of iterations on the same data.
    Updates are applied Gauss-Seidel style in sorted agent order (see the loop for why). The
    slowest case for any such first-order scheme is a long sparse chain of agents that only
    meet their neighbours (a 100-agent chain needs ~30k sweeps), hence the generous
    ``max_iter``; typical leaderboards converge in tens to a few thousand sweeps.

    **Scale.** Strengths are converted to the Elo-like scale as
    ``initial + scale * log_base(p_i / geometric_mean(p))``, so ``initial`` is the average
    agent and a difference of ``scale`` points means ``base``-to-1 odds - the same meaning
    as in :func:`elo_ratings`. When agents form separate groups that never met (directly or
    through others) their relative strength is not identified by the data; each group is
    then centred on ``initial`` independently and ratings across groups are not comparable.

    Agents that never played a pair against anyone are not in the output. Raises
    ``RuntimeError`` if the iteration has not converged after ``max_iter`` steps (rather than
    returning silently wrong numbers).
    """
    _check_scale(base, scale)
    if not prior > 0.0:
        raise ValueError(f"prior must be > 0 (it keeps undefeated agents finite), got {prior!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    if not tol > 0.0:
        raise ValueError(f"tol must be > 0, got {tol!r}")

    return _bradley_terry(
        pairwise_outcomes(events),
        scale=scale,
        base=base,
        initial=initial,
        max_iter=max_iter,
        tol=tol,
        prior=prior,
    )


def _bradley_terry(
    outcomes: Iterable[tuple[str, str, float]],
    scale: float = 400.0,
    base: float = 10.0,
    initial: float = 1000.0,
    max_iter: int = 100_000,
    tol: float = 1e-10,
    prior: float = 0.01,
) -> dict[str, float]:
    """:func:`bradley_terry_ratings` over already expanded (and validated) outcomes.

    Agents are numbered in sorted order and the sweep runs over lists of
    ``(opponent, wins_for, wins_against)``, with exactly the floating-point operations of the
    dict form in the same order, so the numbers are bit-for-bit those of the plain loop.
    """
    # wins[a][b]: (possibly fractional) number of times a beat b, including the prior.
    wins: dict[str, dict[str, float]] = {}
    for a, b, score_a in outcomes:
        row_a = wins.setdefault(a, {})
        row_b = wins.setdefault(b, {})
        if b not in row_a:
            row_a[b] = prior / 2.0
            row_b[a] = prior / 2.0
        row_a[b] += score_a
        row_b[a] += 1.0 - score_a
    if not wins:
        return {}

    # Fixed iteration order (sorted) so floating-point sums do not depend on input order.
    agents = sorted(wins)
    number = {a: i for i, a in enumerate(agents)}
    opponents = {a: sorted(wins[a]) for a in agents}
    components = [[number[a] for a in c] for c in _components(opponents)]
    rows = [[(number[j], wins[a][j], wins[j][a]) for j in opponents[a]] for a in agents]
    everyone = range(len(agents))
    strength = [1.0] * len(agents)
    log, exp, fsum = math.log, math.exp, math.fsum

    for _ in range(max_iter):
        # Gauss-Seidel sweep (each update sees the ones before it in sorted order). The
        # all-at-once (Jacobi) form of this iteration can oscillate forever: for two agents it
        # maps the log-odds L to 2*log(w_ab/w_ba) - L.
        updated = strength[:]
        for i in everyone:
            p_i = updated[i]
            numerator = 0.0
            denominator = 0.0
            for j, w_ij, w_ji in rows[i]:
                p_j = updated[j]
                total = p_i + p_j
                numerator += w_ij * p_j / total
                denominator += w_ji / total
            updated[i] = numerator / denominator
        # The likelihood is invariant to rescaling each component, so pin each component's
        # geometric mean to 1; this keeps numbers bounded and makes the change test meaningful.
        for component in components:
            shift = exp(fsum([log(updated[m]) for m in component]) / len(component))
            for m in component:
                updated[m] /= shift
        change = max([abs(log(updated[m] / strength[m])) for m in everyone])
        strength = updated
        if change < tol:
            break
    else:
        raise RuntimeError(f"Bradley-Terry did not converge within max_iter={max_iter} (tol={tol})")

    log_base = math.log(base)
    return {a: initial + scale * math.log(strength[i]) / log_base for i, a in enumerate(agents)}


#: method -> (rating function over events, the same over expanded outcomes)
_METHODS: dict[str, tuple[Callable[..., dict[str, float]], Callable[..., dict[str, float]]]] = {
    "elo": (elo_ratings, _elo),
    "bradley_terry": (bradley_terry_ratings, _bradley_terry),
}


def bootstrap_intervals(
    events: Sequence[Event],
    method: Literal["elo", "bradley_terry"],
    rounds: int = 100,
    seed: int = 0,
    confidence: float = 0.95,
    **kwargs: Any,
) -> dict[str, RatingInterval]:
    """Percentile-bootstrap confidence intervals for each agent's rating.

    Whole *events* are resampled with replacement (not individual pairs), because the pairs
    of one event share that event's conditions and are not independent. Randomness comes
    only from ``random.Random(seed)``, so the same inputs and seed give identical output.
    ``kwargs`` are passed to the rating function (e.g. ``k`` for Elo).

    ``rating`` is the point estimate on the full data; ``lower``/``upper`` are the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of the bootstrap
    ratings. An agent missing from a resample is skipped for that round (its rating there is
    undefined, not "initial"); an agent missing from every resample gets an unbounded
    interval ``(-inf, inf)`` since the bootstrap says nothing about it.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    compute, from_outcomes = _METHODS[method]
    data = list(events)
    point = compute(data, **kwargs)  # validates the parameters and the scores
    if not data:
        return {}

    # A resample's outcomes are its events' outcomes in resample order, so each event is
    # expanded once here rather than once per draw; the fits see exactly the same input.
    per_event = [_event_outcomes(index, event) for index, event in enumerate(data)]
    rng = random.Random(seed)
    draw = rng.randrange
    samples: dict[str, list[float]] = {agent: [] for agent in point}
    n = len(data)
    for _ in range(rounds):
        resample = [per_event[draw(n)] for _ in range(n)]
        outcomes = [outcome for event in resample for outcome in event]
        for agent, value in from_outcomes(outcomes, **kwargs).items():
            samples[agent].append(value)

    tail = (1.0 - confidence) / 2.0
    intervals: dict[str, RatingInterval] = {}
    for agent, rating in point.items():
        values = sorted(samples[agent])
        if values:
            lower = percentile(values, tail)
            upper = percentile(values, 1.0 - tail)
        else:
            lower, upper = -math.inf, math.inf
        intervals[agent] = RatingInterval(rating=rating, lower=lower, upper=upper)
    return intervals


def rank(ratings: Mapping[str, float]) -> list[tuple[str, float]]:
    """Agents sorted best first; equal ratings are ordered by name so output is stable."""
    return sorted(ratings.items(), key=lambda item: (-item[1], item[0]))
