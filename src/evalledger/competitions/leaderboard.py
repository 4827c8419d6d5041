"""Building a leaderboard from per-event scores and agent rows (pure; no database).

Two stages, so the expensive one can be reused: :func:`compute_ratings` turns the scored
events into :class:`Ratings` (each agent's rating and bootstrap interval, and how many events
it played) - pure CPU work that depends only on the events; :func:`assemble` ranks the agents
with them. The facade caches :class:`Ratings` while the project's events are unchanged and
reads the agents (O(agents)) on every request, so level, XP and pass rate are always current.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalledger.competitions.schemas import Leaderboard, LeaderboardEntry, RatingMethod
from evalledger.stats import ratings

CONFIDENCE = 0.95


def group_events(rows: Iterable[tuple[Any, str, float]]) -> list[dict[str, float]]:
    """Fold ``(event_id, agent, score)`` rows (ordered by event) into one dict per event."""
    out: list[dict[str, float]] = []
    current: Any = object()
    for event_id, agent, score in rows:
        if event_id != current:
            out.append({})
            current = event_id
        out[-1][agent] = score
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _entry(rank: int, agent: Mapping[str, Any], events: int, **rating: Any) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=rank,
        agent_type=agent["agent_type"],
        events=events,
        level=agent["level"],
        xp=agent["xp"],
        pass_rate=agent["pass_rate"],
        adversarial_wins=agent["adversarial_wins"],
        **rating,
    )


@dataclass(frozen=True, slots=True)
class Ratings:
    """What a leaderboard takes from the events: it changes only when they do."""

    events: int
    """Scored events the ratings were computed from."""
    played: Mapping[str, int]
    """Agent -> scored events it took part in."""
    intervals: Mapping[str, ratings.RatingInterval]
    """Agent -> rating and bootstrap interval (empty for ``xp``)."""


def played_counts(events: Sequence[Mapping[str, float]]) -> dict[str, int]:
    played: dict[str, int] = {}
    for event in events:
        for name in event:
            played[name] = played.get(name, 0) + 1
    return played


def compute_ratings(
    method: RatingMethod,
    events: Sequence[Mapping[str, float]],
    *,
    rounds: int = 100,
    seed: int = 0,
    elo_k: float = 4.0,
) -> Ratings:
    """The ratings with their bootstrap intervals (none for ``xp``): the expensive stage."""
    played = played_counts(events)
    if method == "xp":
        return Ratings(events=len(events), played=played, intervals={})
    kwargs: dict[str, Any] = {"k": elo_k} if method == "elo" else {}
    intervals = ratings.bootstrap_intervals(
        list(events), method, rounds=rounds, seed=seed, confidence=CONFIDENCE, **kwargs
    )
    return Ratings(events=len(events), played=played, intervals=intervals)


def assemble(
    method: RatingMethod,
    computed: Ratings,
    agents: Sequence[Mapping[str, Any]],
    *,
    rounds: int = 100,
    seed: int = 0,
) -> Leaderboard:
    """Rank ``agents``. For ``xp`` they are taken in the order given (the SQL ranks them).

    For ``elo``/``bradley_terry`` agents with a rating come first, best first (ties by name);
    agents that have no scored pairwise outcome follow, by name, with a null rating.
    """
    played = computed.played
    if method == "xp":
        entries = [
            _entry(i, a, played.get(a["agent_type"], 0), rating=float(a["xp"]))
            for i, a in enumerate(agents, start=1)
        ]
        return Leaderboard(method=method, events=computed.events, entries=entries)

    intervals = computed.intervals
    by_name = {a["agent_type"]: a for a in agents}
    entries = []
    position = 0
    for name, value in ratings.rank({n: iv.rating for n, iv in intervals.items()}):
        if name not in by_name:  # an agent deleted since the event: nothing to show for it
            continue
        position += 1
        interval = intervals[name]
        entries.append(
            _entry(
                position,
                by_name[name],
                played.get(name, 0),
                rating=value,
                lower=_finite(interval.lower),
                upper=_finite(interval.upper),
            )
        )
    for name in sorted(set(by_name) - set(intervals)):
        position += 1
        entries.append(_entry(position, by_name[name], played.get(name, 0)))
    return Leaderboard(
        method=method,
        confidence=CONFIDENCE,
        rounds=rounds,
        seed=seed,
        events=computed.events,
        entries=entries,
    )
