"""The competitions group: events, their statistics, the Olympus treaty, collaborative tests,
and the leaderboard (a hook on both sides, replayed all the same)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

EVENT_ID = uuid.UUID("6f1c2a9e-3b7d-4e0a-9c55-2d4f8a1b7e10")
DUEL = {
    "id": EVENT_ID,
    "event_type": "duel",
    "participants": ["guardian", "imperium"],
    "scores": {"guardian": 3, "imperium": 1},
    "winners": ["guardian"],
    "xp_awarded": {"guardian": 100},
    "penalties": {"imperium": 10},
}
TOGETHER = {
    "test_id": "t-1",
    "participants": [
        {"agent_type": "guardian", "passed": True, "score": 90},
        {"agent_type": "imperium", "passed": False, "score": 40},
    ],
}
SINCE = datetime(2020, 1, 1, tzinfo=UTC)

STEPS = [
    step("create_or_update_agent_metrics", "guardian"),
    step("create_or_update_agent_metrics", "imperium"),
    step("record_event", DUEL, save="duel"),
    step("record_event", DUEL),  # the same id again: a duplicate, nothing changes
    step("record_event", {**DUEL, "id": None, "event_type": "melee", "winners": []}),
    step(
        "record_event",
        {**DUEL, "id": None, "participants": ["guardian", "ghost"]},
        raises=ValidationFailed,
    ),
    step("record_event", {**DUEL, "colour": "red"}, raises=ValidationFailed),
    step("get_event", Ref("duel", "event.id")),
    step("get_event", "not-a-uuid", raises=ValidationFailed),
    step("get_event", MISSING_ID, raises=NotFoundError),
    step("list_events", event_type="duel", limit=5),
    step("list_events", participant="imperium", start=SINCE, limit=10),  # one page: cursors differ
    step("list_events", limit=0, raises=ValidationFailed),
    step("list_events", limit=1001, raises=ValidationFailed),
    step("list_events", cursor="x" * 501, raises=ValidationFailed),
    step("list_events", start=datetime(2020, 1, 1), raises=ValidationFailed),  # no time zone
    step("event_stats"),
    step("event_stats", event_type="melee", end=SINCE),
    step("event_stats", event_type="x" * 51, raises=ValidationFailed),
    step("administer_olympus_treaty", "guardian", {"score": 80, "threshold": 70}),
    step(
        "administer_olympus_treaty",
        "guardian",
        {"score": 101, "threshold": 70},
        raises=ValidationFailed,
    ),
    step(
        "administer_olympus_treaty",
        "bad name!",
        {"score": 80, "threshold": 70},
        raises=ValidationFailed,
    ),
    step("record_collaborative_test", TOGETHER, idempotency_key="together-1"),
    step("record_collaborative_test", TOGETHER, idempotency_key="together-1"),  # replayed
    step(
        "record_collaborative_test",
        {**TOGETHER, "test_id": "t-2"},
        idempotency_key="together-1",
        raises=ConflictError,
    ),
    step(
        "record_collaborative_test",
        {"participants": [TOGETHER["participants"][0]] * 2},
        raises=ValidationFailed,
    ),
    step("leaderboard", "elo", rounds=10),
    step("leaderboard", "bradley_terry", rounds=10, seed=3),
    step("leaderboard", "xp", event_type="duel"),
    step("leaderboard", "glicko", raises=ValidationFailed),
    step("leaderboard", rounds=0, raises=ValidationFailed),
]
