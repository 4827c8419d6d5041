"""The runs domain: record (idempotent, conflicting), list, show, samples."""

from __future__ import annotations

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

SAMPLES = [
    {
        "sample_id": "1",
        "input": "1+1",
        "target": "2",
        "output": "2",
        "scores": {"match": {"value": 1.0, "raw": "C", "answer": "2"}},
    },
    {
        "sample_id": "2",
        "input": "2+2",
        "target": "4",
        "output": "5",
        "scores": {"match": {"value": 0.0, "raw": "I", "explanation": "wrong"}},
    },
]
RUN = {
    "harness": "sdk",
    "external_id": "arith-1",
    "task": "arith",
    "model": "m1",
    "tags": ["nightly"],
    "metrics": {"match": {"accuracy": 0.5}},
    "samples": SAMPLES,
}
#: The run naming its scorer, as one recorded with ``as_results`` must.
SCORED = {**RUN, "scorers": [{"name": "match"}]}

STEPS = [
    step("record_run", RUN, save="run"),
    step("record_run", RUN),  # the same run again: created false, nothing written
    step("record_run", {**RUN, "model": "m2"}, raises=ConflictError),
    step("record_run", {**RUN, "external_id": "x", "task": ""}, raises=ValidationFailed),
    step(
        "record_run",
        {**RUN, "external_id": "y", "samples": [{"sample_id": "a\x00"}]},
        raises=ValidationFailed,
    ),
    # as_results: the samples are also results of the run's agent (what start_run sends)
    step("create_or_update_agent_metrics", "evaluator"),
    step(
        "record_run",
        {**SCORED, "external_id": "arith-2", "agent_type": "evaluator"},
        as_results=True,
        save="as_results",
    ),
    step("list_results", agent="evaluator", sort="score"),  # ids differ by side: a fixed order
    step(
        "record_run",
        {**SCORED, "external_id": "arith-3", "agent_type": "nobody"},
        as_results=True,
        raises=NotFoundError,
    ),
    # no agent_type: nothing to record the results of
    step("record_run", {**SCORED, "external_id": "a4"}, as_results=True, raises=ValidationFailed),
    step("get_run", Ref("run", "run.id")),
    step("get_run", MISSING_ID, raises=NotFoundError),
    step("list_runs", task="arith", tag=["nightly"]),
    step("list_runs", limit=100_000, raises=ValidationFailed),
    step("list_samples", Ref("run", "run.id"), scorer="match", passed=False),
    step("list_samples", Ref("run", "run.id"), limit=1),
    step("list_samples", MISSING_ID, raises=NotFoundError),
]
