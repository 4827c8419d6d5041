"""The power group: nodes, relations, analysis, influence metrics, transfers."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import step

STEPS = [
    step("create_power_node", {"name": "a", "power": 10}),
    step("create_power_node", {"name": "b", "description": "second"}),
    step("create_power_node", {"name": "c", "power": 1}),
    step("create_power_node", {"name": "a"}, raises=ConflictError),
    step("create_power_node", {"name": "x", "power": -1}, raises=ValidationFailed),
    step("list_power_nodes"),
    step("set_power_relation", {"source": "a", "target": "b", "weight": 0.8}),
    step("set_power_relation", {"source": "a", "target": "b", "weight": 0.9}),  # reweighed
    step("set_power_relation", {"source": "b", "target": "c", "weight": 0.2}),
    step(
        "set_power_relation", {"source": "a", "target": "ghost", "weight": 1}, raises=NotFoundError
    ),
    step(
        "set_power_relation", {"source": "a", "target": "c", "weight": -1}, raises=ValidationFailed
    ),
    step("list_power_relations"),
    step("analyze_power_network"),
    step("analyze_power_network", 0.1),
    step("analyze_power_network", -1, raises=ValidationFailed),
    step("record_influence"),
    step("power_node_metrics", "a"),
    step("power_node_metrics", "ghost", raises=NotFoundError),
    step("power_node_metrics", "x" * 256, raises=ValidationFailed),
    step("transfer_power", {"source": "a", "target": "b", "amount": 3, "reason": "test"}),
    step("transfer_power", {"source": "c", "target": "a", "amount": 5}, raises=ValidationFailed),
    step("transfer_power", {"source": "a", "target": "a", "amount": 1}, raises=ValidationFailed),
    step("transfer_power", {"source": "a", "target": "ghost", "amount": 1}, raises=NotFoundError),
    step("list_power_events", limit=5),
    step("list_power_events", limit=0, raises=ValidationFailed),
]
