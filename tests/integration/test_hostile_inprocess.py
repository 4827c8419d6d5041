"""Property: a hostile argument to any write of the in-process Ledger is a 4xx, never a crash.

:data:`WRITES` holds, for every public coroutine method of :class:`~evalledger.Ledger` that
writes, a valid call for the context :func:`setup` creates; the first test proves the table
and :data:`READS` together cover every public coroutine method, so a new write operation must
join the property. Hypothesis (derandomised, :data:`EXAMPLES` draws per operation) replaces one
argument, or one value or key inside an argument, with something hostile: NUL, lone
surrogates, a 1 MB string, JSON nested 1000 deep, integers of 2**70. On both backends the
only exceptions allowed are the project's own 4xx errors (never SQLAlchemy's, asyncpg's,
pydantic's, a RecursionError or an OverflowError), and a refused call leaves every table's
row count as it was: nothing half-written.

The REST side of the same property is :mod:`tests.integration.test_hostile_property`.
"""

from __future__ import annotations

import inspect
import itertools
import os
import reprlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from evalledger.api.app import create_app
from evalledger.db.registry import metadata
from evalledger.errors import EvalLedgerError, ValidationFailed
from evalledger.operations import Operation
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_hostile_property import deep, place, slots

EXAMPLES = int(os.environ.get("EVALLEDGER_HOSTILE_EXAMPLES", "10"))
_counter = itertools.count()


def n() -> int:
    """A fresh number, so calls with caller-chosen names do not collide (409)."""
    return next(_counter)


Ctx = dict[str, Any]
Call = Callable[[Ctx], dict[str, Any]]

#: Every write of the Ledger, as keyword arguments valid for the context ``setup`` creates.
WRITES: dict[str, Call] = {
    "activate_checkpoint": lambda c: {"checkpoint_id": c["checkpoint_id"]},
    "add_training_data": lambda c: {
        "data": {"framework": "f", "claim_text": "t", "evidence": {"e": 1}, "validity": True}
    },
    "administer_olympus_treaty": lambda c: {
        "agent_type": "guardian",
        "result": {"score": 50, "threshold": 40, "scenario": "s", "evaluation": {"e": 1}},
    },
    "backup_assessments": lambda c: {},
    "bulk_update_metrics": lambda c: {
        "updates": {"guardian": {"status": "active", "config": {"k": "v"}}},
        "idempotency_key": f"k{n()}",
    },
    "cast_vote": lambda c: {
        "proposal_id": c["proposal_id"],
        "vote": {"node": c["nodes"].pop(), "choice": "a"},
    },
    "claim_training_batch": lambda c: {"framework": "f", "size": 1, "batch_id": f"b{n()}"},
    "close_proposal": lambda c: {"proposal_id": c["proposal_id"]},
    "compute_consensus": lambda c: {"claim_id": "base", "rule": "majority"},
    "create_assessment": lambda c: {
        "student_id": c["student_id"],
        "data": {
            "skill_type": "empathy",
            "score": 0.5,
            "confidence": 0.5,
            "reasoning": "r",
            "feature_importance": {"f": 0.1},
            "evidence": [{"evidence_type": "linguistic", "source": "s", "content": "c"}],
        },
    },
    "create_checkpoint": lambda c: {
        "checkpoint": {
            "model_name": "m",
            "version": f"v{n()}",
            "checkpoint_path": "/p",
            "metrics": {"acc": 0.5},
            "training_config": {"lr": 0.1},
        }
    },
    "create_claim": lambda c: {
        "claim": {"external_id": f"c{n()}", "content": "x", "metadata": {"m": 1}}
    },
    "create_evolution_agent": lambda c: {
        "agent": {"name": "a", "generation": 1, "fitness": 1.5, "genome": {"g": [1, 2]}}
    },
    "create_or_update_agent_metrics": lambda c: {
        "agent_type": "guardian",
        "data": {"status": "active", "capabilities": {"a": [1]}, "config": {"b": "x"}},
        "idempotency_key": f"k{n()}",
    },
    "create_power_node": lambda c: {"node": {"name": f"p{n()}", "description": "d", "power": 1}},
    "create_proposal": lambda c: {
        "proposal": {"name": f"p{n()}", "description": "d", "choices": ["a", "b"], "quorum": 1}
    },
    "create_student": lambda c: {"data": {"name": "s", "metadata": {"m": "v"}}},
    "create_verification": lambda c: {
        "verification": {
            "claim_id": "base",
            "framework": f"f{n()}",
            "result": {"valid": True},
            "confidence": 0.5,
            "evidence": {"e": 1},
        },
        "idempotency_key": f"k{n()}",
    },
    "create_verification_request": lambda c: {
        "request": {"request_id": f"r{n()}", "client_id": "c", "content": "x", "frameworks": ["f"]}
    },
    "export_assessments": lambda c: {
        "output": str(c["tmp"] / f"export-{n()}.json"),
        "skill_type": "empathy",
        "start_date": "2026-01-01",
    },
    "finish_execution": lambda c: {
        "execution_id": c["execution_id"],
        "finish": {"status": "completed", "output": {"o": 1}, "error": "e"},
    },
    "heartbeat": lambda c: {
        "beat": {"service_name": "s", "instance_id": f"i{n()}", "metadata": {"m": 1}}
    },
    "import_assessments": lambda c: {
        "source": c["backup"],
        "duplicates": "skip",
        "batch_size": 10,
    },
    "record_collaborative_test": lambda c: {
        "test": {
            "test_id": f"ct{n()}",
            "ai_responses": {"r": 1},
            "participants": [{"agent_type": "guardian", "passed": True, "score": 5}],
        },
        "idempotency_key": f"k{n()}",
    },
    "record_custody_tests": lambda c: {
        "results": [{"agent_type": "sandbox", "passed": False, "score": 10, "evaluation": {}}]
    },
    "record_event": lambda c: {
        "event": {
            "event_type": "olympics",
            "participants": ["guardian", "imperium"],
            "scores": {"guardian": 5.0},
            "winners": ["guardian"],
            "event_metadata": {"round": 1},
        }
    },
    "record_evolution_metric": lambda c: {
        "agent_id": c["agent_id"],
        "metric": {"name": "m", "value": 1.0},
    },
    "import_run": lambda c: {"path": str(INSPECT_LOG), "tags": ["t"]},
    "record_run": lambda c: {
        "run": {
            "task": "t",
            "tags": ["a"],
            "metadata": {"m": 1},
            "agent_type": "guardian",
            "scorers": [{"name": "s"}],
            "samples": [{"sample_id": "1", "output": "o", "scores": {"s": {"value": 1.0}}}],
        },
        # the path start_run takes: the samples are also results of the agent
        "as_results": True,
        "scorer": "s",
        "pass_threshold": 0.5,
    },
    "record_framework_metric": lambda c: {"metric": {"framework": "f", "name": "m", "value": 1.0}},
    "record_influence": lambda c: {},
    "register_consensus_node": lambda c: {"node": {"name": f"n{n()}", "metadata": {"m": 1}}},
    "reset_agent_metrics": lambda c: {"agent_type": "guardian", "idempotency_key": f"k{n()}"},
    "save_framework_state": lambda c: {"framework": "f", "state": {"state": {"a": 1}}},
    "seed_default_agents": lambda c: {},
    "set_fitness": lambda c: {"agent_id": c["agent_id"], "fitness": 2.0},
    "set_framework_configuration": lambda c: {"framework": "f", "config": {"a": 1}},
    "set_power_relation": lambda c: {"relation": {"source": "p1", "target": "p2", "weight": 1}},
    "snapshot_agent": lambda c: {"agent_id": c["agent_id"], "snapshot": {"state": {"s": 1}}},
    "start_execution": lambda c: {"execution": {"framework": "f", "input": {"a": 1}}},
    "transfer_power": lambda c: {
        "transfer": {"source": "p1", "target": "p2", "amount": 1.0, "reason": "r"}
    },
    "update_custody_test_result": lambda c: {
        "agent_type": "guardian",
        "result": {
            "passed": True,
            "score": 50,
            "test_id": f"t{n()}",
            "ai_responses": ["r"],
            "evaluation": {"x": 1.0},
        },
    },
    "update_learning_metrics": lambda c: {
        "agent_type": "guardian",
        "data": {"learning_score_delta": 1.0, "successes": 1, "patterns": ["p"]},
        "idempotency_key": f"k{n()}",
    },
    "update_request_status": lambda c: {"request_id": "base", "status": "processing"},
    "update_specific_metrics": lambda c: {
        "agent_type": "guardian",
        "updates": {"status": "active", "config": {"c": 1}},
        "idempotency_key": f"k{n()}",
    },
    "verify": lambda c: {"fix_orphans": True},
}

#: A real Inspect AI log (tests/fixtures/harness/README.md says how it was made).
INSPECT_LOG = (
    Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "inspect" / "arith.eval"
)

#: The public coroutine methods that only read (or manage the ledger object itself).
READS = {
    "agent_lineage", "analyze_power_network", "best_agent", "close", "compare_runs", "event_stats",
    "evolution_agent_metrics", "execution_stats", "framework_metric_summary",
    "framework_metrics", "generation_stats", "get_active_checkpoint", "get_agent_metrics",
    "get_all_agent_metrics", "get_analytics_summary", "get_assessment", "get_by_claim_id",
    "get_cached_assessments", "get_checkpoint", "get_claim", "get_consensus",
    "get_custody_metrics", "get_event", "get_evolution_agent", "get_execution",
    "get_framework_configuration", "get_pending_requests", "get_proposal",
    "get_recent_verifications", "get_run", "get_student", "list_runs", "list_samples",
    "export_results", "latest_framework_state", "latest_snapshot",
    "leaderboard", "list_agents", "list_assessments", "list_audit_log", "list_checkpoints",
    "list_claims", "list_consensus_nodes", "list_events", "list_evolution_agents",
    "list_executions", "list_power_events", "list_power_nodes", "list_power_relations",
    "list_proposals", "list_results", "list_service_health", "list_students",
    "list_training_data", "power_node_metrics", "run_leaderboard", "stale_instances", "stats",
    "summarize_results",
}  # fmt: skip

HOSTILE: list[Any] = [
    "a\x00b",
    "\x00",
    "x\ud800y",
    "\udfff",
    "x" * 1_000_000,
    {"k": "\x00"},
    {"\ud800": 1},
    {"big": "y" * 1_000_000},
    deep(1200),
    [deep(1200)],
    {"d": deep(1200)},
    2**70,
    -(2**70),
]


def public_coroutines() -> set[str]:
    """Hand-written coroutine methods and declared operations alike."""
    return {
        name
        for name, attr in inspect.getmembers(Ledger)
        if not name.startswith("_")
        and (inspect.iscoroutinefunction(attr) or isinstance(attr, Operation))
    }


def test_the_table_covers_every_public_coroutine_of_the_ledger() -> None:
    assert not set(WRITES) & READS
    assert set(WRITES) | READS == public_coroutines()


async def setup(ledger: Ledger, tmp: Path) -> Ctx:
    """The rows the writes name, and a backup file for the import."""
    student = await ledger.create_student({"name": "s"})
    proposal = await ledger.create_proposal({"name": "prop", "choices": ["a", "b"], "quorum": 999})
    nodes = [(await ledger.register_consensus_node({"name": f"voter{i}"})).name for i in range(60)]
    await ledger.create_claim({"external_id": "base", "content": "x"})
    await ledger.create_verification(
        {"claim_id": "base", "framework": "f", "result": {"valid": True}, "confidence": 0.5}
    )
    await ledger.create_verification_request(
        {"request_id": "base", "client_id": "c", "content": "x", "frameworks": ["f"]}
    )
    for name in ("p1", "p2"):
        await ledger.create_power_node({"name": name, "power": 10})
    checkpoint = await ledger.create_checkpoint(
        {"model_name": "m", "version": "base", "checkpoint_path": "/p", "metrics": {}}
    )
    execution = await ledger.start_execution({"framework": "f"})
    agent = await ledger.create_evolution_agent({"name": "e"})
    backup = tmp / "backup.json"
    await ledger.export_assessments(backup)
    return {
        "tmp": tmp,
        "student_id": str(student.id),
        "proposal_id": str(proposal.id),
        "nodes": nodes,
        "checkpoint_id": str(checkpoint.id),
        "execution_id": str(execution.id),
        "agent_id": str(agent.id),
        "backup": str(backup),
    }


def fits(original: Any, value: Any) -> bool:
    """Whether ``value`` may replace a whole argument ``original`` (same kind: a wrong type
    there is a programming error mypy reports, not input). Inside a request model or free
    JSON every hostile value fits: the model's validation is what is tested."""
    if isinstance(original, bool):
        return False
    if isinstance(original, int):
        return isinstance(value, int)
    return isinstance(value, type(original))


def candidates(template: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (place, hostile value) pair this operation's call can take."""
    pairs = []
    for slot in slots(template):
        if slot == ("hostile",):
            continue  # an unknown keyword argument is a TypeError of Python's, not input
        for value in HOSTILE:
            if len(slot) > 1 or fits(template[slot[0]], value):
                pairs.append((slot, value))
    return pairs


def examples(name: str, ctx: Ctx) -> list[dict[str, Any]]:
    """``EXAMPLES`` calls of ``name``, each with one hostile argument or value."""
    pairs = candidates(WRITES[name](ctx))
    if not pairs:
        return [WRITES[name](ctx)]
    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(pair=st.sampled_from(pairs))
    def draw(pair: tuple[tuple[Any, ...], Any]) -> None:
        slot, value = pair
        drawn.append(place(WRITES[name](ctx), slot, value))

    draw()
    return drawn


async def row_counts(ledger: Ledger) -> dict[str, int]:
    """Every table's row count, in one round trip (across projects: the raw tables)."""
    tables = metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    async with ledger.db.write_engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return {t.name: int(v) for t, v in zip(tables, row, strict=True)}


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 4, 60, 60


def describe(value: Any) -> str:
    return _SHORT.repr(value)


async def test_hostile_arguments_to_every_write_raise_only_our_4xx_errors(
    seeded: Ledger, tmp_path: Path
) -> None:
    ctx = await setup(seeded, tmp_path)
    problems: list[str] = []
    refused = 0
    for name in sorted(WRITES):
        for kwargs in examples(name, ctx):
            before = await row_counts(seeded)
            try:
                await getattr(seeded, name)(**kwargs)
            except EvalLedgerError as exc:
                refused += 1
                if not 400 <= exc.status < 500:
                    problems.append(f"{name}({describe(kwargs)}): {exc.status} {exc}")
                after = await row_counts(seeded)
                if after != before:
                    changed = {t: (before[t], after[t]) for t in after if after[t] != before[t]}
                    problems.append(f"{name}({describe(kwargs)}) refused, but wrote {changed}")
            except Exception as exc:  # everything else escaped: the bug this test is for
                problems.append(
                    f"{name}({describe(kwargs)}): {type(exc).__module__}.{type(exc).__name__}: "
                    f"{str(exc)[:200]}"
                )
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    assert refused >= len(WRITES), "the hostile values must actually be refused somewhere"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda led: led.create_or_update_agent_metrics("a\x00b"), "agent_type"),
        (lambda led: led.reset_agent_metrics("guardian", idempotency_key="k\ud800"), None),
        (lambda led: led.set_framework_configuration("f\x00", {"a": 1}), "framework"),
        (lambda led: led.claim_training_batch("f", 2**70), "size"),
        (lambda led: led.create_claim({"external_id": "c2", "content": "a\x00b"}), "content"),
    ],
)
async def test_a_refused_argument_is_named_alike_in_process_and_over_http(
    seeded: Ledger, call: Callable[[Any], Any], field: str | None
) -> None:
    """The reported cases: SQLite stored the NUL that PostgreSQL refused with a raw DBAPIError.
    Now the Ledger and the Client both refuse them, naming the argument, on both backends."""
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as client:
        for side in (seeded, client):
            with pytest.raises(ValidationFailed) as info:
                await call(side)
            assert info.value.field == (field or "idempotency_key"), side
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 0
    assert (await seeded.list_claims()).items == []
