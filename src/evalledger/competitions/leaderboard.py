"""Building a leaderboard from per-event scores and agent rows (pure; no database).

The service reads the inputs with two queries (scored participants in event order, and the
agents); this module turns them into ranked entries with :mod:`.ratings`, so it can run off
the event loop and be tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evalledger.competitions import ratings
from evalledger.competitions.schemas import Leaderboard, LeaderboardEntry, RatingMethod

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


def build_leaderboard(
    method: RatingMethod,
    events: Sequence[Mapping[str, float]],
    agents: Sequence[Mapping[str, Any]],
    *,
    rounds: int = 100,
    seed: int = 0,
    elo_k: float = 4.0,
) -> Leaderboard:
    """Rank ``agents``. For ``xp`` they are taken in the order given (the SQL ranks them).

    For ``elo``/``bradley_terry`` agents with a rating come first, best first (ties by name);
    agents that have no scored pairwise outcome follow, by name, with a null rating.
    """
    played: dict[str, int] = {}
    for event in events:
        for name in event:
            played[name] = played.get(name, 0) + 1
    if method == "xp":
        entries = [
            _entry(i, a, played.get(a["agent_type"], 0), rating=float(a["xp"]))
            for i, a in enumerate(agents, start=1)
        ]
        return Leaderboard(method=method, events=len(events), entries=entries)

    kwargs: dict[str, Any] = {"k": elo_k} if method == "elo" else {}
    intervals = ratings.bootstrap_intervals(
        list(events), method, rounds=rounds, seed=seed, confidence=CONFIDENCE, **kwargs
    )
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
        events=len(events),
        entries=entries,
    )
