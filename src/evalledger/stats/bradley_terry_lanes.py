"""Bradley-Terry fitted on many weightings of the same events at once ("lanes").

A lane is one count per event: the point estimate is the lane of all ones, a bootstrap
resample the lane of how often each event was drawn. Bradley-Terry depends only on each
pair's (fractional) wins, so a lane's data are a weighted sum over the events' outcomes,
and every lane is fitted by the same numpy operations on ``lanes x pairs`` arrays.

**The model** is the one :func:`~evalledger.stats.ratings.bradley_terry_ratings` documents:
ties are half a win each way, every pair that met *in the lane* gets ``prior / 2`` virtual
wins each way, agents with no pair in the lane are not rated in it, and each connected group
of agents is centred on a mean log-strength of 0 (the geometric mean of 1).

**The solver** is Newton's method on the log-likelihood in log-strengths ``theta``: the
gradient is ``W_i - sum_j n_ij P_ij`` and the negative Hessian is the graph Laplacian with
weights ``n_ij P_ij (1 - P_ij)``. The likelihood does not change when a group is shifted, so
one agent per group (its lowest-numbered, the "root") is held at 0, which makes the system
positive definite; groups are centred after convergence. A step that lowers the likelihood is
halved (it rarely happens: the log-likelihood is concave), so each lane climbs to the unique
optimum. Newton converges quadratically, so the lanes take a handful of iterations where the
reference Gauss-Seidel iteration took around a hundred sweeps; the bootstrap lanes start from
the point estimate (warm start), which is close to every resample's optimum. A lane stops
when its largest step is below ``tol`` (the same tolerance on the change of log-strength
that the sweeps used), and converged lanes are dropped from later iterations.

Memory is ``lanes x agents^2`` for the Hessians, so lanes are fitted in chunks.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from evalledger.stats.rating_events import EventArrays, FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

#: Hessian entries held at once (lanes x agents^2 float64: 8 bytes each, so 64 MB).
HESSIAN_BUDGET = 8_000_000
#: Halvings of a step before a lane is reported as not converging.
MAX_HALVINGS = 60


def _sum_by(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """``out[i] = sum of weights[index == i]`` (``np.bincount`` with weights is float)."""
    return cast(FloatArray, np.bincount(index, weights=weights, minlength=size))


class PairData:
    """The distinct pairs that met anywhere and each lane's wins on them."""

    def __init__(self, data: EventArrays, counts: FloatArray, prior: float) -> None:
        agents = len(data.agents)
        key = data.first * agents + data.second
        pairs, pair_of = np.unique(key, return_inverse=True)
        self.agents = agents
        self.first: IntArray = pairs // agents
        self.second: IntArray = pairs % agents
        lanes, n_pairs = counts.shape[0], len(pairs)
        weight = counts[:, data.event_of]  # lanes x outcomes: how often each outcome counts
        flat = (np.arange(lanes, dtype=np.int64)[:, None] * n_pairs + pair_of[None, :]).ravel()
        size = lanes * n_pairs
        games = _sum_by(flat, weight.ravel(), size).reshape(lanes, -1)
        wins = _sum_by(flat, (weight * data.score).ravel(), size)
        self.met: BoolArray = games > 0
        virtual = np.where(self.met, prior / 2.0, 0.0)
        self.wins: FloatArray = wins.reshape(lanes, -1) + virtual  # first beat second
        self.losses: FloatArray = games - self.wins + 2.0 * virtual  # second beat first
        self.total: FloatArray = self.wins + self.losses


def components(pairs: PairData) -> IntArray:
    """Per lane and agent, the lowest agent number of its connected group in that lane.

    Label propagation (every agent takes the smallest label among itself and the agents it
    met) with pointer jumping, on all lanes at once; agents with no pair keep their own.
    """
    lanes, agents = pairs.met.shape[0], pairs.agents
    offset = (np.arange(lanes, dtype=np.int64) * agents)[:, None]
    lane, pair = np.nonzero(pairs.met)
    a = lane * agents + pairs.first[pair]
    b = lane * agents + pairs.second[pair]
    label = np.tile(np.arange(agents, dtype=np.int64), lanes)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[(offset + new.reshape(lanes, agents)).ravel()]  # jump to the label's label
        if np.array_equal(new, label):
            return label.reshape(lanes, agents)
        label = new


def _evaluate(theta: FloatArray, pairs: PairData, lanes: IntArray) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood per lane and ``P(first beats second)``, for the lanes ``lanes``."""
    diff = theta[:, pairs.first] - theta[:, pairs.second]
    with np.errstate(over="ignore"):  # exp(-diff) = inf is P = 0, log P = -inf: a bad step
        odds_against = np.exp(-diff)
    prob = 1.0 / (1.0 + odds_against)
    log_p = -np.log1p(odds_against)
    # w log P + l log(1 - P), with log(1 - P) = log P - diff.
    log_p *= pairs.total[lanes]
    log_p -= pairs.losses[lanes] * diff
    loglik: FloatArray = log_p.sum(axis=1)
    return loglik, prob


class _Scatter:
    """Flat indices to add per-pair values into per-agent sums, for a set of lanes."""

    def __init__(self, pairs: PairData, count: int) -> None:
        agents = pairs.agents
        base = (np.arange(count, dtype=np.int64) * agents)[:, None]
        self.count = count
        self.index = np.concatenate([base + pairs.first, base + pairs.second], axis=1).ravel()
        self.size = count * agents
        self.agents = agents

    def sums(self, to_first: FloatArray, to_second: FloatArray) -> FloatArray:
        weights = np.concatenate([to_first, to_second], axis=1).ravel()
        return _sum_by(self.index, weights, self.size).reshape(self.count, self.agents)


def _newton_step(
    pairs: PairData, lanes: IntArray, prob: FloatArray, root: BoolArray, scatter: _Scatter
) -> FloatArray:
    """The Newton step of each lane in ``lanes`` (roots held at 0)."""
    count, agents = len(lanes), pairs.agents
    expected = pairs.total[lanes] * prob
    residual = pairs.wins[lanes] - expected
    expected *= 1.0 - prob  # now the curvature n P (1 - P)
    grad = scatter.sums(residual, -residual)
    degree = scatter.sums(expected, expected)
    flat = np.zeros((count, agents * agents))
    expected *= -1.0
    flat[:, pairs.first * agents + pairs.second] = expected
    flat[:, pairs.second * agents + pairs.first] = expected
    hessian = flat.reshape(count, agents, agents)
    lane, held = np.nonzero(root)
    hessian[lane, held, :] = 0.0
    hessian[lane, :, held] = 0.0
    degree[lane, held] = 1.0
    grad[lane, held] = 0.0
    diagonal = np.arange(agents)
    hessian[:, diagonal, diagonal] = degree
    return cast(FloatArray, np.linalg.solve(hessian, grad[:, :, None])[:, :, 0])


def fit(
    data: EventArrays,
    counts: FloatArray,
    *,
    prior: float,
    tol: float,
    max_iter: int,
    start: FloatArray | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Log-strengths (``lanes x agents``, each group centred) and which agents each lane rates.

    ``counts`` is ``lanes x events``; ``start`` an optional starting point per agent (the
    warm start). ``RuntimeError`` if a lane has not converged within ``max_iter`` steps.
    """
    lanes = counts.shape[0]
    agents = len(data.agents)
    theta = np.zeros((lanes, agents))
    rated = np.zeros((lanes, agents), dtype=bool)
    chunk = max(1, HESSIAN_BUDGET // max(1, agents * agents))
    for low in range(0, lanes, chunk):
        part = slice(low, min(lanes, low + chunk))
        theta[part], rated[part] = _fit_chunk(data, counts[part], prior, tol, max_iter, start)
    return theta, rated


def _fit_chunk(
    data: EventArrays,
    counts: FloatArray,
    prior: float,
    tol: float,
    max_iter: int,
    start: FloatArray | None,
) -> tuple[FloatArray, BoolArray]:
    pairs = PairData(data, counts, prior)
    n_lanes, agents = counts.shape[0], pairs.agents
    label = components(pairs)
    root = label == np.arange(agents)[None, :]
    theta = np.zeros((n_lanes, agents)) if start is None else np.tile(start, (n_lanes, 1))
    theta[root] = 0.0  # only differences within a group matter; roots stay at 0
    active = np.arange(n_lanes, dtype=np.int64)
    scatter = _Scatter(pairs, n_lanes)
    loglik, prob = _evaluate(theta, pairs, active)
    for _ in range(max_iter):
        step = _newton_step(pairs, active, prob, root[active], scatter)
        current = theta[active]
        scale = np.ones(len(active))
        for _ in range(MAX_HALVINGS):
            trial = current + step * scale[:, None]
            trial_ll, trial_prob = _evaluate(trial, pairs, active)
            worse = trial_ll < loglik - 1e-12 * np.abs(loglik) - 1e-12
            if not worse.any():
                break
            scale[worse] *= 0.5
        theta[active] = trial
        moved = np.abs(step * scale[:, None]).max(axis=1, initial=0.0)
        going = moved >= tol
        if not going.any():
            break
        if not going.all():
            active, trial_ll, trial_prob = active[going], trial_ll[going], trial_prob[going]
            scatter = _Scatter(pairs, len(active))
        loglik, prob = trial_ll, trial_prob
    else:
        raise RuntimeError(f"Bradley-Terry did not converge within max_iter={max_iter} (tol={tol})")
    rated = np.zeros((n_lanes, agents), dtype=bool)
    lane, pair = np.nonzero(pairs.met)
    rated[lane, pairs.first[pair]] = True
    rated[lane, pairs.second[pair]] = True
    # Centre each group: subtract its mean log-strength.
    flat = (np.arange(n_lanes, dtype=np.int64)[:, None] * agents + label).ravel()
    sums = np.bincount(flat, weights=theta.ravel(), minlength=n_lanes * agents)
    sizes = np.bincount(flat, minlength=n_lanes * agents)
    mean = sums[flat] / sizes[flat]
    return (theta.ravel() - mean).reshape(n_lanes, agents), rated
