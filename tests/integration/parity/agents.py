"""The agents groups: agent metrics, the custody-test hooks, the results queries."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import Ref, step

_RESULT = {"passed": True, "score": 90, "tags": ["nightly"], "agent_version": "v1"}

STEPS = [
    step("create_or_update_agent_metrics", "guardian"),
    step("create_or_update_agent_metrics", "guardian", {"priority": "high"}),
    step("create_or_update_agent_metrics", "sandbox", {}, idempotency_key="put-1"),
    step("create_or_update_agent_metrics", "sandbox", {}, idempotency_key="put-1"),
    step("create_or_update_agent_metrics", "bad name!", raises=ValidationFailed),
    step("create_or_update_agent_metrics", "guardian", {"xp": 5}, raises=ValidationFailed),
    step("create_or_update_agent_metrics", "guardian", {"bogus": 1}, raises=ValidationFailed),
    # update, never create: an unknown agent is a 404 and stays unknown
    step("update_specific_metrics", "guardian", {"status": "busy"}),
    step("update_specific_metrics", "ghost", {"status": "busy"}, raises=NotFoundError),
    step("get_agent_metrics", "ghost", raises=NotFoundError),
    step("update_specific_metrics", "guardian", {"xp": 1}, raises=ValidationFailed),
    step("update_specific_metrics", "guardian", {"status": "idle"}, idempotency_key="u-1"),
    step(
        "update_specific_metrics",
        "guardian",
        {"status": "other"},
        idempotency_key="u-1",
        raises=ConflictError,
    ),
    # the hooks: one result (group commit in-process), a batch
    step("update_custody_test_result", "guardian", _RESULT),
    step("update_custody_test_result", "guardian", {**_RESULT, "score": 70, "agent_version": "v2"}),
    step("update_custody_test_result", "ghost", _RESULT, raises=NotFoundError),
    step(
        "record_custody_tests",
        [
            {"agent_type": "guardian", "passed": False, "score": 40, "agent_version": "v2"},
            {"agent_type": "sandbox", "passed": True, "score": 99, "metadata": {"set": "a"}},
        ],
    ),
    step("get_agent_metrics", "guardian"),
    step("get_agent_metrics", "", raises=ValidationFailed),
    step("get_all_agent_metrics"),
    step("list_agents"),
    step("get_custody_metrics", "guardian"),
    step("get_custody_metrics", "ghost", raises=NotFoundError),
    step("get_custody_metrics", "x" * 51, raises=ValidationFailed),
    step("get_analytics_summary"),
    step("update_learning_metrics", "guardian", {"learning_score_delta": 1.5, "successes": 2}),
    step("update_learning_metrics", "ghost", {"successes": 1}, raises=NotFoundError),
    step("update_learning_metrics", "guardian", {"successes": -1}, raises=ValidationFailed),
    step("bulk_update_metrics", {"guardian": {"status": "ok"}, "sandbox": {"priority": "low"}}),
    step("bulk_update_metrics", {"guardian": {}, "ghost": {}}, raises=NotFoundError),
    step("bulk_update_metrics", {"guardian": {"xp": 1}}, raises=ValidationFailed),
    step("bulk_update_metrics", {}, raises=ValidationFailed),
    step("list_results", agent="guardian", limit=2, save="page"),
    step("list_results", agent="guardian", limit=2, cursor=Ref("page", "next_cursor")),
    step("list_results", tag="nightly", sort="score", order="asc"),
    step("list_results", tag=["nightly"], agent_version="v1"),
    step("list_results", metadata="set=a", passed=True, min_score=50),
    step("list_results", limit=0, raises=ValidationFailed),
    step("list_results", limit=1001, raises=ValidationFailed),
    step("list_results", min_score=80, max_score=10, raises=ValidationFailed),
    step("list_results", sort="bogus", raises=ValidationFailed),
    step("list_results", metadata="no-equals-sign", raises=ValidationFailed),
    step("list_results", tag=["t"] * 33, raises=ValidationFailed),
    step("list_results", cursor="x" * 501, raises=ValidationFailed),
    step("summarize_results", "guardian"),
    step("summarize_results", "guardian", group_by="tag"),
    step("summarize_results", "ghost", raises=NotFoundError),
    step("summarize_results", "guardian", group_by="bogus", raises=ValidationFailed),
    step("reset_agent_metrics", "sandbox", idempotency_key="reset-1"),
    step("reset_agent_metrics", "sandbox", idempotency_key="reset-1"),
    step("reset_agent_metrics", "ghost", raises=NotFoundError),
]
