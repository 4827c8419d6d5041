"""The verification groups: claims, verifications, consensus, verification requests, training
data, model checkpoints and service health."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step


def _verification(framework: str, valid: bool, confidence: float) -> dict[str, object]:
    return {
        "claim_id": "c1",
        "framework": framework,
        "result": {"valid": valid},
        "confidence": confidence,
        "processing_time_ms": 40,
    }


def _checkpoint(version: str, *, active: bool = False) -> dict[str, object]:
    return {
        "model_name": "verifier",
        "framework": "empirical",
        "version": version,
        "checkpoint_path": f"/ckpt/{version}",
        "metrics": {"acc": 0.9},
        "is_active": active,
    }


CLAIMS = [
    step("create_claim", {"external_id": "c1", "content": "the sky is blue"}, save="claim"),
    step("create_claim", {"external_id": "c2", "content": "x", "claim_type": "fact"}),
    step("create_claim", {"external_id": "c1", "content": "again"}, raises=ConflictError),
    step("create_claim", {"external_id": "", "content": "x"}, raises=ValidationFailed),
    step("create_claim", {"external_id": "c3", "content": "x", "x": 1}, raises=ValidationFailed),
    step("get_claim", "c1"),
    step("get_claim", "missing", raises=NotFoundError),
    step("get_claim", "x" * 256, raises=ValidationFailed),
    step("list_claims"),
    step("list_claims", claim_type="fact", limit=1),
    step("list_claims", limit=0, raises=ValidationFailed),
    step("list_claims", cursor="x" * 501, raises=ValidationFailed),
    step("list_claims", since="yesterday", raises=ValidationFailed),
]

VERIFICATIONS = [
    step("create_verification", _verification("empirical", True, 0.9), idempotency_key="k1"),
    step("create_verification", _verification("empirical", True, 0.9), idempotency_key="k1"),
    step(
        "create_verification",
        _verification("logical", True, 0.5),
        idempotency_key="k1",
        raises=ConflictError,
    ),
    step("create_verification", _verification("logical", False, 0.6)),
    step("create_verification", {**_verification("x", True, 2.0)}, raises=ValidationFailed),
    step(
        "create_verification",
        {**_verification("x", True, 0.5), "claim_id": "missing"},
        raises=NotFoundError,
    ),
    step("get_by_claim_id", "c1"),
    step("get_by_claim_id", "missing", raises=NotFoundError),
    step("get_recent_verifications", 1, framework="logical"),
    step("get_recent_verifications", 1001, raises=ValidationFailed),
    step("framework_metrics"),
    step("framework_metrics", since="not a time", raises=ValidationFailed),
]

CONSENSUS = [
    step("get_consensus", "c1", raises=NotFoundError),
    step("compute_consensus", "c1"),
    step("compute_consensus", "c1", "confidence_weighted"),
    step("compute_consensus", "c1", "plurality", raises=ValidationFailed),
    step("compute_consensus", "c2", raises=ValidationFailed),  # no verification to decide on
    step("compute_consensus", "missing", raises=NotFoundError),
    step("get_consensus", "c1"),
    step("get_consensus", "missing", raises=NotFoundError),
]

REQUESTS = [
    step(
        "create_verification_request",
        {"request_id": "r1", "client_id": "app", "content": "x", "frameworks": ["empirical"]},
    ),
    step(
        "create_verification_request",
        {"request_id": "r2", "client_id": "a", "content": "y", "frameworks": ["a"], "priority": 5},
    ),
    step(
        "create_verification_request",
        {"request_id": "r1", "client_id": "app", "content": "x", "frameworks": ["a"]},
        raises=ConflictError,
    ),
    step(
        "create_verification_request",
        {"request_id": "r3", "client_id": "app", "content": "x", "frameworks": []},
        raises=ValidationFailed,
    ),
    step("get_pending_requests"),
    step("get_pending_requests", 0, raises=ValidationFailed),
    step("update_request_status", "r1", "processing"),
    step("update_request_status", "r1", "bogus", raises=ValidationFailed),
    step("update_request_status", "missing", "failed", raises=NotFoundError),
    step("get_pending_requests", 5),
]

TRAINING = [
    step(
        "add_training_data",
        {"framework": "empirical", "claim_id": Ref("claim", "id"), "claim_text": "a"},
        raises=ValidationFailed,  # evidence and validity are required
    ),
    step(
        "add_training_data",
        {
            "framework": "empirical",
            "claim_id": Ref("claim", "id"),
            "claim_text": "a",
            "evidence": {"s": 1},
            "validity": True,
            "confidence": 0.7,
        },
    ),
    step(
        "add_training_data",
        {"framework": "empirical", "claim_text": "b", "evidence": None, "validity": False},
    ),
    step(
        "add_training_data",
        {
            "framework": "empirical",
            "claim_id": MISSING_ID,
            "claim_text": "c",
            "evidence": 1,
            "validity": True,
        },
        raises=NotFoundError,
    ),
    step("list_training_data", framework="empirical"),
    step("list_training_data", limit=1001, raises=ValidationFailed),
    step("claim_training_batch", "empirical", 1, batch_id="b1"),
    step("claim_training_batch", "empirical", 1, batch_id="b1", raises=ConflictError),
    step("claim_training_batch", "empirical", 5),
    step("claim_training_batch", "empirical", 0, raises=ValidationFailed),
    step("list_training_data", used_in_training=True, batch_id="b1"),
]

CHECKPOINTS = [
    step("create_checkpoint", _checkpoint("v1", active=True), save="v1"),
    step("create_checkpoint", _checkpoint("v2"), save="v2"),
    step("create_checkpoint", _checkpoint("v1"), raises=ConflictError),
    step("create_checkpoint", {**_checkpoint("v3"), "metrics": 1}, raises=ValidationFailed),
    step("get_checkpoint", Ref("v2", "id")),
    step("get_checkpoint", MISSING_ID, raises=NotFoundError),
    step("get_checkpoint", "not-a-uuid", raises=ValidationFailed),
    step("activate_checkpoint", Ref("v2", "id")),
    step("activate_checkpoint", MISSING_ID, raises=NotFoundError),
    step("get_active_checkpoint", "verifier", "empirical"),
    step("get_active_checkpoint", "verifier", raises=NotFoundError),  # none without framework
    step("get_active_checkpoint", "", raises=ValidationFailed),
    step("list_checkpoints", model_name="verifier"),
    step("list_checkpoints", is_active=True, limit=1),
    step("list_checkpoints", cursor="x" * 501, raises=ValidationFailed),
]

HEALTH = [
    step("heartbeat", {"service_name": "api", "instance_id": "i1"}),
    step("heartbeat", {"service_name": "api", "instance_id": "i1", "status": "degraded"}),
    step("heartbeat", {"service_name": "worker", "instance_id": "w1"}),
    step("heartbeat", {"service_name": "", "instance_id": "i1"}, raises=ValidationFailed),
    step("list_service_health"),
    step("list_service_health", "api"),
    step("list_service_health", "x" * 51, raises=ValidationFailed),
    step("stale_instances", 3600),
    step("stale_instances", 3600, service_name="api"),
    step("stale_instances"),
    step("stale_instances", -1, raises=ValidationFailed),
]

STEPS = CLAIMS + VERIFICATIONS + CONSENSUS + REQUESTS + TRAINING + CHECKPOINTS + HEALTH
