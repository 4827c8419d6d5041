"""Batch recording: up to 10,000 results in one transaction, counters moved once per agent.

The batch is validated whole before anything is written. The agents it names are locked in
sorted order (no deadlock against concurrent batches or events), its results are inserted in
bulk with ``ON CONFLICT (id) DO NOTHING`` (so a retried batch inserts nothing twice), and each
agent's counters, streaks and difficulty are folded from its new results in batch order and
written with one UPDATE per agent. A batch with an unknown agent or a foreign id writes
nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from evalledger.agents import progression
from evalledger.agents.repository import AgentRepository, results
from evalledger.agents.schemas import (
    BatchRecorded,
    BatchResultIn,
    BatchResultOut,
    CustodyMetrics,
)
from evalledger.db.dialect import insert_new
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.uow import UnitOfWork

#: Rows per INSERT statement (SQLAlchemy splits further under the driver's parameter limit).
INSERT_CHUNK = 1000


def _row(
    item: BatchResultIn,
    result_id: uuid.UUID,
    project_id: uuid.UUID,
    agent: Mapping[Any, Any],
    rules: progression.ProgressionRules,
    now: Any,
) -> dict[str, Any]:
    difficulty = item.test_difficulty or agent["current_difficulty"]
    xp = item.xp_awarded
    if xp is None:
        xp = progression.default_xp_award(item.passed, item.score, difficulty, rules)
    return {
        "id": result_id,
        "project_id": project_id,
        "ai_type": item.agent_type,
        "test_id": item.test_id or str(result_id),
        "test_category": item.test_category,
        "test_difficulty": difficulty,
        "test_type": item.test_type,
        "passed": item.passed,
        "score": item.score,
        "xp_awarded": xp,
        "learning_score_awarded": item.learning_score_awarded,
        "duration": item.duration,
        "tested_at": item.timestamp,
        "agent_epoch": agent["epoch"],
        "ai_responses": item.ai_responses,
        "explainability_data": item.explainability_data,
        "evaluation": item.evaluation,
        "threshold": item.threshold,
        "scenario": item.scenario,
        "ai_response": item.ai_response,
        "created_at": now,
        "updated_at": now,
    }


async def record_batch(
    uow: UnitOfWork,
    items: Sequence[BatchResultIn],
    rules: progression.ProgressionRules = progression.DEFAULT_RULES,
) -> BatchRecorded:
    repo = AgentRepository(uow)
    agents = await repo.lock_many([i.agent_type for i in items])
    now = utcnow()
    ids = [i.id or uuid.uuid4() for i in items]
    seen: set[uuid.UUID] = set()
    for index, rid in enumerate(ids):
        if rid in seen:
            raise ValidationFailed(
                f"result id {rid} appears twice in the batch", field=f"results.{index}.id"
            )
        seen.add(rid)
    rows = [
        _row(item, rid, uow.project_id, agents[item.agent_type], rules, now)
        for item, rid in zip(items, ids, strict=True)
    ]
    inserted = await insert_new(uow.session, results, rows)
    duplicates = [rid for rid in ids if rid not in inserted]
    if duplicates:
        await _check_duplicates_are_ours(uow, items, ids, set(duplicates))

    per_agent: dict[str, list[progression.TestOutcome]] = defaultdict(list)
    for row in rows:
        if row["id"] in inserted:
            per_agent[row["ai_type"]].append(
                progression.TestOutcome(
                    passed=row["passed"],
                    xp_awarded=row["xp_awarded"],
                    learning_score_awarded=row["learning_score_awarded"],
                    tested_at=row["tested_at"] or now,
                )
            )
    metrics: dict[str, CustodyMetrics] = {}
    changed: dict[str, dict[str, Any]] = {}
    for agent_type in sorted(agents):
        agent = agents[agent_type]
        values: dict[str, Any] = dict(agent)
        if per_agent.get(agent_type):
            state = progression.apply_tests(
                progression.CustodyState.from_row(agent), per_agent[agent_type], rules
            )
            changed[agent_type] = state.derived(rules)
            values.update(changed[agent_type])
        metrics[agent_type] = CustodyMetrics.model_validate(values)
    await repo.set_many(changed)  # one statement for every agent of the batch
    uow.audit(
        "custody_test_batch",
        ids[0] if ids else "-",
        "create",
        {"results": len(items), "recorded": len(inserted), "duplicates": len(duplicates)},
    )
    return BatchRecorded(
        recorded=len(inserted),
        duplicates=len(duplicates),
        results=[
            BatchResultOut(id=rid, agent_type=item.agent_type, duplicate=rid not in inserted)
            for item, rid in zip(items, ids, strict=True)
        ],
        agents=metrics,
    )


async def _check_duplicates_are_ours(
    uow: UnitOfWork,
    items: Sequence[BatchResultIn],
    ids: Sequence[uuid.UUID],
    duplicates: set[uuid.UUID],
) -> None:
    """A re-sent id must be this project's result for the same agent; anything else is 409."""
    owners: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    wanted = list(duplicates)
    for start in range(0, len(wanted), INSERT_CHUNK):
        stmt = select(results.c.id, results.c.project_id, results.c.ai_type).where(
            results.c.id.in_(wanted[start : start + INSERT_CHUNK])
        )
        for rid, project_id, ai_type in (await uow.session.execute(stmt)).all():
            owners[rid] = (project_id, ai_type)
    for item, rid in zip(items, ids, strict=True):
        if rid in duplicates and owners.get(rid) != (uow.project_id, item.agent_type):
            raise ConflictError(
                f"result id {rid} is already used by another record", field="results"
            )
