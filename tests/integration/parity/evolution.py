"""The evolution group: agents with lineage, fitness, metrics, snapshots, generations."""

from __future__ import annotations

from evalledger.errors import NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

STEPS = [
    step("create_evolution_agent", {"name": "root", "fitness": 0.5}, save="root"),
    step("create_evolution_agent", {"name": "child", "parent_id": Ref("root", "id")}, save="kid"),
    step(
        "create_evolution_agent",
        {"name": "late", "parent_id": Ref("root", "id"), "generation": 0},
        raises=ValidationFailed,  # not later than its parent's generation
    ),
    step("create_evolution_agent", {"name": "o", "parent_id": MISSING_ID}, raises=NotFoundError),
    step("create_evolution_agent", {"name": ""}, raises=ValidationFailed),
    step("get_evolution_agent", Ref("kid", "id")),
    step("get_evolution_agent", MISSING_ID, raises=NotFoundError),
    step("get_evolution_agent", "not-a-uuid", raises=ValidationFailed),
    step("list_evolution_agents"),
    step("list_evolution_agents", generation=1, limit=1),
    step("list_evolution_agents", generation=-1, raises=ValidationFailed),
    step("agent_lineage", Ref("kid", "id")),
    step("agent_lineage", MISSING_ID, raises=NotFoundError),
    step("set_fitness", Ref("kid", "id"), 0.8),
    step("set_fitness", Ref("kid", "id"), float("nan"), raises=ValidationFailed),
    step("set_fitness", MISSING_ID, 0.1, raises=NotFoundError),
    step("record_evolution_metric", Ref("kid", "id"), {"name": "speed", "value": 3.0}),
    step("record_evolution_metric", Ref("kid", "id"), {"name": ""}, raises=ValidationFailed),
    step("record_evolution_metric", MISSING_ID, {"name": "x", "value": 1}, raises=NotFoundError),
    step("evolution_agent_metrics", Ref("kid", "id")),
    step("evolution_agent_metrics", MISSING_ID, raises=NotFoundError),
    step("latest_snapshot", Ref("kid", "id"), raises=NotFoundError),  # none yet
    step("snapshot_agent", Ref("kid", "id"), {"state": {"weights": [1, 2]}}),
    step("snapshot_agent", MISSING_ID, {"state": 1}, raises=NotFoundError),
    step("snapshot_agent", Ref("kid", "id"), {"bogus": 1}, raises=ValidationFailed),
    step("latest_snapshot", Ref("kid", "id")),
    step("best_agent", 1),
    step("best_agent", 7, raises=NotFoundError),
    step("best_agent", -1, raises=ValidationFailed),
    step("generation_stats"),
]
