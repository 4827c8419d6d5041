"""Bradley-Terry fitted on many weightings of the same events at once ("lanes").

A lane is one count per event: the point estimate is the lane of all ones, a bootstrap
resample the lane of how often each event was drawn. Bradley-Terry depends only on each
pair's (fractional) wins, so a lane's data are a weighted sum over the events' outcomes,
and every lane is fitted by the same numpy operations on arrays of all lanes.

**The model** is the one :func:`~evalledger.stats.ratings.bradley_terry_ratings` documents:
ties are half a win each way, every pair that met *in the lane* gets ``prior / 2`` virtual
wins each way, agents with no pair in the lane are not rated in it, and each connected group
of agents is centred on a mean log-strength of 0 (the geometric mean of 1).

**The solver** is Newton's method on the log-likelihood in log-strengths ``theta``: the
gradient is ``W_i - sum_j n_ij P_ij`` and the negative Hessian is the graph Laplacian with
weights ``n_ij P_ij (1 - P_ij)``. The likelihood does not change when a group is shifted, so
one agent per group (its lowest-numbered, the "root") is held at 0, which makes the system
positive definite; groups are centred after convergence. A step of more than ``SMALL_STEP``
that lowers the likelihood is halved until it does not. Smaller steps are not checked, which
saves a likelihood per lane and step; that is a judgement, not a proof: near the optimum the
concave log-likelihood is close to its quadratic model, whose Newton step climbs, and a lane
that still fails to converge raises ``RuntimeError`` rather than returning a wrong rating.
Newton converges quadratically, so the lanes take a handful of iterations where the
reference Gauss-Seidel iteration took around a hundred sweeps; the bootstrap lanes start from
the point estimate (warm start), which is close to every resample's optimum. A lane stops
when its largest step is below ``tol`` (the same tolerance on the change of log-strength
that the sweeps used), and converged lanes are dropped from later iterations.

Memory is ``lanes x agents^2`` for the Hessians, so lanes are fitted in chunks. Callers run
the fit under :func:`~evalledger.stats.rating_events.one_blas_thread`.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from evalledger.stats.rating_events import EventArrays, FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

#: Hessian entries held at once (lanes x agents^2 float64: 8 bytes each, so 64 MB).
HESSIAN_BUDGET = 8_000_000
#: Halvings of a step at most (then the lane goes on from where it is).
MAX_HALVINGS = 60
#: Steps up to this (in log-strength, about 87 rating points) skip the likelihood check.
SMALL_STEP = 0.5


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


class _Lanes:
    """The lanes still iterating: their data, roots and log-strengths, compressed together.

    A lane's wins are held as a dense ``agents x agents`` matrix ``W`` (``W[i, j]``: how
    often ``i`` beat ``j``, prior included) and ``N = W + W.T``: the Hessian is dense anyway,
    and with most pairs met (as on a leaderboard) dense elementwise work is faster than
    scattering per-pair values.
    """

    def __init__(self, pairs: PairData, root: BoolArray, theta: FloatArray) -> None:
        count, agents = theta.shape
        self.agents = agents
        self.index = np.arange(count, dtype=np.int64)
        wins = np.zeros((count, agents * agents))
        wins[:, pairs.first * agents + pairs.second] = pairs.wins
        wins[:, pairs.second * agents + pairs.first] = pairs.losses
        self.wins = wins.reshape(count, agents, agents)
        self.total = self.wins + self.wins.transpose(0, 2, 1)
        self.root, self.theta = root, theta
        # Per pair, for the likelihood (cheaper than the dense form when checking a step).
        self.first, self.second = pairs.first, pairs.second
        self.pair_total, self.pair_losses = pairs.total, pairs.losses

    def keep(self, going: BoolArray) -> None:
        self.index = self.index[going]
        self.wins, self.total = self.wins[going], self.total[going]
        self.root, self.theta = self.root[going], self.theta[going]
        self.pair_total, self.pair_losses = self.pair_total[going], self.pair_losses[going]

    def probability(self, theta: FloatArray) -> FloatArray:
        """``P[l, i, j]``, the chance that ``i`` beats ``j``: ``p_i / (p_i + p_j)``, ``p = e^t``.

        Strengths are shifted per lane (which changes no probability) so the largest is 1;
        when a lane spans more than 600 log-units, where small strengths would underflow,
        the logistic form of the log-odds is used instead.
        """
        top = theta.max(axis=1, keepdims=True, initial=0.0)
        if (top - theta.min(axis=1, keepdims=True, initial=0.0)).max(initial=0.0) < 600.0:
            strength = np.exp(theta - top)
            total = strength[:, :, None] + strength[:, None, :]
            return cast(FloatArray, np.divide(strength[:, :, None], total, out=total))
        diff = theta[:, :, None] - theta[:, None, :]
        prob: FloatArray = 1.0 / (1.0 + np.exp(-diff))
        return prob

    def loglik(self, lanes: IntArray, theta: FloatArray) -> FloatArray:
        """The log-likelihood of the lanes ``lanes`` (positions in this set) at ``theta``."""
        diff = theta[:, self.first] - theta[:, self.second]
        with np.errstate(over="ignore"):  # exp = inf is log P = -inf: a bad step
            log_p = -np.log1p(np.exp(-diff))
        # w log P + l log(1 - P) = n log P - l diff, as log(1 - P) = log P - diff.
        log_p *= self.pair_total[lanes]
        log_p -= self.pair_losses[lanes] * diff
        return cast(FloatArray, log_p.sum(axis=1))

    def newton_step(self) -> FloatArray:
        """Each lane's Newton step (roots held at 0)."""
        prob = self.probability(self.theta)
        agents = self.agents
        expected = self.total * prob
        grad = (self.wins - expected).sum(axis=2)
        prob -= 1.0
        expected *= prob  # minus the curvature, -n P (1 - P): the Hessian off the diagonal
        hessian = expected
        degree = hessian.sum(axis=2)
        degree *= -1.0
        lane, held = np.nonzero(self.root)
        hessian[lane, held, :] = 0.0
        hessian[lane, :, held] = 0.0
        degree[lane, held] = 1.0
        grad[lane, held] = 0.0
        diagonal = np.arange(agents)
        hessian[:, diagonal, diagonal] = degree
        return cast(FloatArray, np.linalg.solve(hessian, grad[:, :, None])[:, :, 0])

    def safeguard(self, step: FloatArray) -> None:
        """Halve the steps that lower their lane's likelihood, until none does.

        Only lanes with a step of more than ``SMALL_STEP`` are checked: closer in, the
        likelihood is as good as its quadratic model, whose Newton step always climbs.
        """
        big = np.flatnonzero(np.abs(step).max(axis=1, initial=0.0) > SMALL_STEP)
        if not len(big):
            return
        current = self.theta[big]
        before = self.loglik(big, current)
        scale = np.ones(len(big))
        for _ in range(MAX_HALVINGS):
            after = self.loglik(big, current + step[big] * scale[:, None])
            worse = after < before - 1e-12 * np.abs(before) - 1e-12
            if not worse.any():
                break
            scale[worse] *= 0.5
        step[big] *= scale[:, None]


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
    lanes = _Lanes(pairs, root, theta.copy())
    for _ in range(max_iter):
        step = lanes.newton_step()
        lanes.safeguard(step)
        lanes.theta += step
        theta[lanes.index] = lanes.theta
        going = np.abs(step).max(axis=1, initial=0.0) >= tol
        if not going.any():
            break
        if not going.all():
            lanes.keep(going)
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
