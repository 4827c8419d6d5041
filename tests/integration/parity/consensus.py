"""The consensus group: nodes vote on proposals, tallied against a quorum."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

STEPS = [
    step("register_consensus_node", {"name": "n1", "metadata": {"zone": "eu"}}),
    step("register_consensus_node", {"name": "n2"}),
    step("register_consensus_node", {"name": "n1"}, raises=ConflictError),
    step("register_consensus_node", {"name": ""}, raises=ValidationFailed),
    step("list_consensus_nodes"),
    step("create_proposal", {"name": "ship", "choices": ["yes", "no"], "quorum": 2}, save="p"),
    step(
        "create_proposal",
        {"name": "x", "choices": ["a", "a"], "quorum": 1},
        raises=ValidationFailed,
    ),
    step("get_proposal", Ref("p", "id")),
    step("get_proposal", "not-a-uuid", raises=ValidationFailed),
    step("get_proposal", MISSING_ID, raises=NotFoundError),
    step("cast_vote", Ref("p", "id"), {"node": "n1", "choice": "yes"}),
    step("cast_vote", Ref("p", "id"), {"node": "n1", "choice": "no"}, raises=ConflictError),
    step("cast_vote", Ref("p", "id"), {"node": "n2", "choice": "maybe"}, raises=ValidationFailed),
    step("cast_vote", Ref("p", "id"), {"node": "ghost", "choice": "yes"}, raises=NotFoundError),
    step("cast_vote", MISSING_ID, {"node": "n2", "choice": "yes"}, raises=NotFoundError),
    step("cast_vote", Ref("p", "id"), {"node": "n2", "choice": "yes"}),
    step("list_proposals"),
    step("list_proposals", "open"),
    step("list_proposals", "bogus", raises=ValidationFailed),
    step("close_proposal", Ref("p", "id")),
    step("close_proposal", Ref("p", "id"), raises=ConflictError),
    step("close_proposal", MISSING_ID, raises=NotFoundError),
    step("cast_vote", Ref("p", "id"), {"node": "n2", "choice": "no"}, raises=ConflictError),
    step("list_proposals", status="decided"),
]
