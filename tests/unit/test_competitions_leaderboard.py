"""The pure parts of the competitions domain: event rules and leaderboard building."""

from __future__ import annotations

from typing import Any

import pytest

from evalledger.competitions.leaderboard import assemble, compute_ratings, group_events
from evalledger.competitions.schemas import EventIn, Leaderboard, RatingMethod
from evalledger.competitions.service import validate_event
from evalledger.errors import ValidationFailed
from evalledger.stats.ratings import elo_ratings


def agent(name: str, xp: int = 0) -> dict[str, Any]:
    return {"agent_type": name, "level": 1, "xp": xp, "pass_rate": 0.0, "adversarial_wins": 0}


def build_leaderboard(
    method: RatingMethod,
    events: list[dict[str, float]],
    agents: list[dict[str, Any]],
    *,
    rounds: int = 100,
    seed: int = 0,
    elo_k: float = 4.0,
) -> Leaderboard:
    """Both stages the ledger runs (the ratings, cached in production, then the board)."""
    computed = compute_ratings(method, events, rounds=rounds, seed=seed, elo_k=elo_k)
    return assemble(method, computed, agents, rounds=rounds, seed=seed)


def test_group_events_folds_rows_in_event_order() -> None:
    rows = [(1, "a", 1.0), (1, "b", 2.0), (2, "a", 3.0), (3, "c", 0.0), (3, "a", 1.0)]
    assert group_events(rows) == [{"a": 1.0, "b": 2.0}, {"a": 3.0}, {"c": 0.0, "a": 1.0}]
    assert group_events([]) == []


def test_unrated_agents_follow_rated_ones_by_name() -> None:
    events = [{"b": 2.0, "c": 1.0}, {"b": 3.0, "c": 0.0}]
    board = build_leaderboard(
        "bradley_terry", events, [agent("z"), agent("a"), agent("b"), agent("c")], rounds=5
    )
    assert [(e.rank, e.agent_type) for e in board.entries] == [
        (1, "b"),
        (2, "c"),
        (3, "a"),
        (4, "z"),
    ]
    assert board.entries[2].rating is None and board.entries[2].events == 0
    assert board.entries[0].events == 2 and board.events == 2 and board.confidence == 0.95


def test_elo_uses_the_configured_k() -> None:
    events = [{"a": 1.0, "b": 0.0}]
    board = build_leaderboard("elo", events, [agent("a"), agent("b")], rounds=3, elo_k=32)
    assert board.entries[0].rating == pytest.approx(elo_ratings(events, k=32)["a"]) == 1016.0


def test_xp_keeps_the_sql_order_and_has_no_interval() -> None:
    board = build_leaderboard("xp", [], [agent("b", 50), agent("a", 10)])
    assert [(e.rank, e.agent_type, e.rating) for e in board.entries] == [
        (1, "b", 50.0),
        (2, "a", 10.0),
    ]
    assert board.entries[0].lower is None and board.rounds is None


def test_agents_no_longer_present_are_skipped() -> None:
    board = build_leaderboard("elo", [{"gone": 1.0, "a": 0.0}], [agent("a")], rounds=2)
    assert [(e.rank, e.agent_type) for e in board.entries] == [(1, "a")]


def test_infinite_bounds_become_null() -> None:
    # One bootstrap round resamples two disjoint events: some agents miss every resample,
    # their bounds are unbounded in ratings.py and must come out as null (JSON has no inf).
    events = [{"a": 1.0, "b": 0.0}, {"c": 1.0, "d": 0.0}]
    board = build_leaderboard("elo", events, [agent(n) for n in "abcd"], rounds=1, seed=0)
    unbounded = [e.agent_type for e in board.entries if e.lower is None]
    assert len(unbounded) == 2
    for entry in board.entries:
        assert entry.rating is not None
        assert (entry.lower is None) == (entry.upper is None)
    assert "Infinity" not in board.model_dump_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"participants": ["a", "a"]}, "participants"),
        ({"winners": ["a", "a"]}, "winners"),
        ({"winners": ["x"]}, "winners"),
        ({"scores": {"x": 1}}, "scores"),
        ({"answers": {"x": 1}}, "answers"),
        ({"xp_awarded": {"x": 1}}, "xp_awarded"),
        ({"learning_awarded": {"x": 1}}, "learning_awarded"),
        ({"penalties": {"x": 1}}, "penalties"),
    ],
)
def test_event_rules_name_field_and_offender(change: dict[str, Any], field: str) -> None:
    body = EventIn.model_validate({"event_type": "t", "participants": ["a", "b"], **change})
    with pytest.raises(ValidationFailed) as info:
        validate_event(body)
    assert info.value.field == field
    assert ("'x'" if "x" in str(change) else "'a'") in info.value.message


def test_a_valid_event_passes() -> None:
    validate_event(
        EventIn.model_validate(
            {
                "event_type": "t",
                "participants": ["a", "b"],
                "winners": ["a"],
                "scores": {"a": 1, "b": 0},
                "penalties": {"b": 2},
            }
        )
    )
