"""The framework group: executions, metrics, configuration, state."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

STEPS = [
    step("start_execution", {"framework": "kite", "input": {"q": 1}}, save="run"),
    step("start_execution", {"framework": ""}, raises=ValidationFailed),
    step("start_execution", {"framework": "kite", "bogus": 1}, raises=ValidationFailed),
    step("get_execution", Ref("run", "id")),
    step("get_execution", "not-a-uuid", raises=ValidationFailed),
    step("get_execution", MISSING_ID, raises=NotFoundError),
    step("finish_execution", Ref("run", "id"), {"status": "completed", "output": [1, 2]}),
    step("finish_execution", Ref("run", "id"), {"status": "failed"}, raises=ConflictError),
    step("finish_execution", MISSING_ID, {"status": "failed"}, raises=NotFoundError),
    step("list_executions", framework="kite", limit=5),
    step("list_executions", limit=0, raises=ValidationFailed),
    step("list_executions", status="bogus", raises=ValidationFailed),
    step("execution_stats"),
    step("record_framework_metric", {"framework": "kite", "name": "latency", "value": 3.5}),
    step("record_framework_metric", {"framework": "kite", "name": "latency", "value": 4.5}),
    step("framework_metric_summary", "kite"),
    step("framework_metric_summary", "x" * 51, raises=ValidationFailed),
    step("set_framework_configuration", "kite", {"depth": 3}),
    step("set_framework_configuration", "kite", {"bad": float("nan")}, raises=ValidationFailed),
    step("get_framework_configuration", "kite"),
    step("get_framework_configuration", "nobody", raises=NotFoundError),
    step("save_framework_state", "kite", {"state": {"step": 1}}),
    step("latest_framework_state", "kite"),
    step("latest_framework_state", "nobody", raises=NotFoundError),
]
