"""Scored events as compact numpy arrays, and the bootstrap's draws, for the rating fits.

:mod:`evalledger.stats.ratings` fits Elo and Bradley-Terry on the point data and on every
bootstrap resample at once ("lanes"), which needs the events as arrays rather than dicts:
agents are numbered in sorted name order and each event's pairwise outcomes are listed in
the order :func:`~evalledger.stats.ratings.pairwise_outcomes` defines (pairs ``a < b`` in
sorted name order), so the order-dependent Elo sees exactly the sequence it always saw.

The resamples are the ones ``random.Random(seed).randrange(n)`` has always drawn, one event
after another, round after round; they are read from the same Mersenne Twister stream in
bulk (:func:`bootstrap_draws`) instead of 200,000 Python calls, so a seed still means the
same resamples as before.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@cache
def _thread_pools() -> ThreadpoolController:
    return ThreadpoolController()  # found once: it inspects the loaded libraries


def one_blas_thread() -> AbstractContextManager[Any]:
    """Run the fits' linear algebra (Bradley-Terry's solves, a product) on one BLAS thread.

    OpenBLAS's threads buy nothing on these small systems and, on a busy machine, made the
    Bradley-Terry bootstrap 20 times slower (0.19 s of CPU became 2.5-4.7 s, 11-17 s of wall
    time, with the threads spinning while they wait for each other).
    """
    return _thread_pools().limit(limits=1, user_api="blas")  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class EventArrays:
    """Events reduced to their pairwise outcomes, as arrays (agents numbered by name)."""

    agents: list[str]
    """Every agent that took part in a pair, sorted; an agent's number is its index here."""
    first: IntArray
    """Per outcome: the number of the pair's first agent (the smaller name)."""
    second: IntArray
    """Per outcome: the number of the pair's second agent."""
    score: FloatArray
    """Per outcome: 1.0 if the first agent scored higher, 0.0 if lower, 0.5 for a tie."""
    start: IntArray
    """Event ``e``'s outcomes are ``start[e]:start[e + 1]`` (``len(start)`` is events + 1)."""

    @property
    def events(self) -> int:
        return len(self.start) - 1

    @property
    def pairs(self) -> IntArray:
        """Outcomes per event."""
        return np.diff(self.start)

    @property
    def event_of(self) -> IntArray:
        """Per outcome: the event it belongs to."""
        return np.repeat(np.arange(self.events, dtype=np.int64), self.pairs)


def _outcome(a: float, b: float) -> float:
    return 1.0 if a > b else 0.0 if a < b else 0.5


def event_arrays(events: Iterable[Mapping[str, float]]) -> EventArrays:
    """The outcomes of ``events`` as arrays; ``ValueError`` for a non-finite score.

    An event of one agent (or none) has no pairs and contributes no outcome, but it still
    counts as an event (it can be drawn by the bootstrap, and then adds nothing).
    """
    per_event: list[list[tuple[str, float]]] = []
    for index, event in enumerate(events):
        for agent, score in event.items():
            if not math.isfinite(score):
                raise ValueError(
                    f"event {index}: score for agent {agent!r} must be finite, got {score!r}"
                )
        per_event.append(sorted(event.items()))
    agents = sorted({name for members in per_event if len(members) > 1 for name, _ in members})
    number = {name: i for i, name in enumerate(agents)}
    first: list[int] = []
    second: list[int] = []
    outcome: list[float] = []
    start = [0]
    for members in per_event:
        m = len(members)
        for i in range(m - 1):
            name_a, score_a = members[i]
            a = number[name_a]
            for name_b, score_b in members[i + 1 :]:
                first.append(a)
                second.append(number[name_b])
                outcome.append(_outcome(score_a, score_b))
        start.append(len(first))
    return EventArrays(
        agents=agents,
        first=np.array(first, dtype=np.int64),
        second=np.array(second, dtype=np.int64),
        score=np.array(outcome, dtype=np.float64),
        start=np.array(start, dtype=np.int64),
    )


def bootstrap_draws(n: int, rounds: int, seed: int) -> IntArray:
    """``rounds x n`` event indices: row ``r`` is resample ``r`` as the bootstrap draws it.

    Exactly ``[[rng.randrange(n) for _ in range(n)] for _ in range(rounds)]`` with
    ``rng = random.Random(seed)``: ``randrange(n)`` takes one 32-bit word of the generator,
    keeps its top ``n.bit_length()`` bits and retries while they are ``>= n``, and
    ``getrandbits(32 * m)`` returns the next ``m`` words, least significant first.
    """
    rng = random.Random(seed)
    need = rounds * n
    bits = n.bit_length()
    if bits > 32 or need == 0:  # not a leaderboard's size; the plain loop is exact anyway
        return np.array(
            [[rng.randrange(n) for _ in range(n)] for _ in range(rounds)], dtype=np.int64
        ).reshape(rounds, n)
    accept = n / float(1 << bits)  # > 1/2
    parts: list[npt.NDArray[np.uint32]] = []
    have = 0
    while have < need:
        words = int((need - have) / accept * 1.05) + 64
        raw = rng.getrandbits(32 * words).to_bytes(4 * words, "little")
        drawn = np.frombuffer(raw, dtype="<u4") >> np.uint32(32 - bits)
        kept = drawn[drawn < n]
        parts.append(kept)
        have += len(kept)
    return np.concatenate(parts)[:need].astype(np.int64).reshape(rounds, n)
