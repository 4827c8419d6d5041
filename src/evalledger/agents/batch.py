"""Batch recording: up to 10,000 results in one transaction, counters moved once per agent.

The batch is validated whole before anything is written. The agents it names are locked in
sorted order (no deadlock against concurrent batches or events), its results are inserted in
bulk with ``ON CONFLICT (id) DO NOTHING`` (so a retried batch inserts nothing twice), and each
agent's counters, streaks and difficulty are folded from its new results in batch order and
written with one UPDATE per agent. A batch with an unknown agent or a foreign id writes
nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from evalledger.agents import progression, replay
from evalledger.agents.repository import AgentRepository, agent_not_found, results
from evalledger.agents.schemas import (
    BatchRecorded,
    BatchResultIn,
    BatchResultOut,
    CustodyMetrics,
)
from evalledger.db.bulk import start_insert_new
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.runtime import gc_paused
from evalledger.uow import UnitOfWork

#: Rows per duplicate-owner lookup.
INSERT_CHUNK = 1000
#: Answers built between two yields to the event loop (while the rows are being written).
_YIELD_EVERY = 1000

#: The columns a batch writes, in the order of the row tuples built below.
COLUMNS: tuple[str, ...] = (
    "id",
    "project_id",
    "ai_type",
    "test_id",
    "test_category",
    "test_difficulty",
    "test_type",
    "passed",
    "score",
    "xp_awarded",
    "learning_score_awarded",
    "duration",
    "tested_at",
    "agent_epoch",
    "ai_responses",
    "explainability_data",
    "evaluation",
    "threshold",
    "scenario",
    "ai_response",
    "tags",
    "metadata",
    "agent_version",
    "metrics",
    "input_tokens",
    "output_tokens",
    "created_at",
    "updated_at",
)
#: Shared (never mutated) empty values: the row encoder encodes a value it saw on the previous
#: row once, so results without tags, metadata or metrics cost no JSON encoding each.
_NO_TAGS: list[str] = []
_NO_OBJECT: dict[str, Any] = {}
_AGENT, _PASSED, _XP, _LEARNING, _TESTED_AT = (
    COLUMNS.index(c)
    for c in ("ai_type", "passed", "xp_awarded", "learning_score_awarded", "tested_at")
)


async def record_batch(
    uow: UnitOfWork,
    items: Sequence[BatchResultIn],
    rules: progression.ProgressionRules = progression.DEFAULT_RULES,
) -> BatchRecorded:
    repo = AgentRepository(uow)
    try:
        agents = await repo.lock_many([i.agent_type for i in items])
    except NotFoundError as exc:
        missing = exc.field or ""
        index = next((n for n, item in enumerate(items) if item.agent_type == missing), 0)
        raise agent_not_found(missing, field=f"results.{index}.agent_type") from None
    now = utcnow()
    ids = [i.id or uuid.uuid4() for i in items]
    if len(set(ids)) != len(ids):
        seen: set[uuid.UUID] = set()
        for index, rid in enumerate(ids):
            if rid in seen:
                raise ValidationFailed(
                    f"result id {rid} appears twice in the batch", field=f"results.{index}.id"
                )
            seen.add(rid)
    with gc_paused():
        rows = _rows(items, ids, agents, uow.project_id, rules, now)
        pending = await start_insert_new(
            uow.session,
            results,
            COLUMNS,
            rows,
            row_security=uow.db.row_security,
            expect_new=True,  # fresh ids; a retried batch's COPY fails and is decided safely
        )
        try:
            # While the database stores the rows: the answer, from the keys being inserted.
            answer = await _answer(items, ids, rows, agents, pending.new, rules, now)
        finally:
            inserted = await pending.wait()
    if inserted != pending.new:  # a concurrent writer stored some of these ids meanwhile
        answer = await _answer(items, ids, rows, agents, inserted, rules, now)
    if answer.duplicates:
        await _check_duplicates_are_ours(
            uow, items, ids, {rid for rid in ids if rid not in inserted}
        )
    await repo.set_many(answer.changed)  # one statement for every agent of the batch
    # One audit row for the batch (one mutation), named by its first result id, listing the
    # ids it recorded (batch order; duplicates changed nothing): as complete as a row per
    # result, for one write instead of one per result.
    uow.audit(
        "custody_test_batch",
        ids[0] if ids else "-",
        "create",
        {
            "results": len(items),
            "recorded": len(inserted),
            "duplicates": answer.duplicates,
            "ids": [str(rid) for rid in ids if not answer.duplicates or rid in inserted],
        },
    )
    return BatchRecorded(
        recorded=len(inserted),
        duplicates=answer.duplicates,
        results=answer.results,
        agents=answer.metrics,
    )


def _rows(
    items: Sequence[BatchResultIn],
    ids: Sequence[uuid.UUID],
    agents: Mapping[str, Any],
    project_id: uuid.UUID,
    rules: progression.ProgressionRules,
    now: Any,
) -> list[tuple[Any, ...]]:
    """The result rows, as tuples in :data:`COLUMNS` order."""
    # Each agent's difficulty and epoch as the batch found them (results without a difficulty
    # are tested at the agent's current one, as when recorded one by one before the batch).
    found = {name: (a["current_difficulty"], a["epoch"]) for name, a in agents.items()}
    default_xp = progression.default_xp_award
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for item, rid in zip(items, ids, strict=True):
        current, epoch = found[item.agent_type]
        difficulty = item.test_difficulty or current
        xp = item.xp_awarded
        if xp is None:
            xp = default_xp(item.passed, item.score, difficulty, rules)
        append(
            (
                rid,
                project_id,
                item.agent_type,
                item.test_id or str(rid),
                item.test_category,
                difficulty,
                item.test_type,
                item.passed,
                item.score,
                xp,
                item.learning_score_awarded,
                item.duration,
                item.timestamp,
                epoch,
                item.ai_responses,
                item.explainability_data,
                item.evaluation,
                item.threshold,
                item.scenario,
                item.ai_response,
                item.tags or _NO_TAGS,
                item.metadata or _NO_OBJECT,
                item.agent_version,
                item.metrics or _NO_OBJECT,
                item.input_tokens,
                item.output_tokens,
                now,
                now,
            )
        )
    return rows


@dataclass
class _Answer:
    changed: dict[str, dict[str, Any]]
    metrics: dict[str, CustodyMetrics]
    results: list[BatchResultOut]
    duplicates: int


async def _answer(
    items: Sequence[BatchResultIn],
    ids: Sequence[uuid.UUID],
    rows: Sequence[tuple[Any, ...]],
    agents: Mapping[str, Any],
    inserted: set[uuid.UUID],
    rules: progression.ProgressionRules,
    now: Any,
) -> _Answer:
    """Each agent's new values and the per-result answer, given the ids inserted.

    Pure computation that yields to the event loop now and then, so that the write started
    before it keeps streaming to the database meanwhile.
    """
    duplicates = len(rows) - len(inserted)
    per_agent: dict[str, list[tuple[bool, int, float, Any]]] = defaultdict(list)
    for row in rows:
        if not duplicates or row[0] in inserted:
            per_agent[row[_AGENT]].append(
                (row[_PASSED], row[_XP], row[_LEARNING], row[_TESTED_AT] or now)
            )
    await asyncio.sleep(0)
    metrics: dict[str, CustodyMetrics] = {}
    changed: dict[str, dict[str, Any]] = {}
    for agent_type in sorted(agents):
        agent = agents[agent_type]
        values: dict[str, Any] = dict(agent)
        if per_agent.get(agent_type):
            state = progression.fold_tests(
                progression.CustodyState.from_row(agent), per_agent[agent_type], rules
            )
            changed[agent_type] = state.derived(rules)
            values.update(changed[agent_type])
        metrics[agent_type] = CustodyMetrics.model_validate(values)
    out: list[BatchResultOut] = []
    for start in range(0, len(items), _YIELD_EVERY):
        await asyncio.sleep(0)
        out.extend(
            BatchResultOut(id=rid, agent_type=item.agent_type, duplicate=rid not in inserted)
            for item, rid in zip(
                items[start : start + _YIELD_EVERY], ids[start : start + _YIELD_EVERY], strict=True
            )
        )
    return _Answer(changed, metrics, out, duplicates)


async def _check_duplicates_are_ours(
    uow: UnitOfWork,
    items: Sequence[BatchResultIn],
    ids: Sequence[uuid.UUID],
    duplicates: set[uuid.UUID],
) -> None:
    """A re-sent id must be this project's result for the same agent, with the same values;
    anything else is 409 (naming the batch item)."""
    stored: dict[uuid.UUID, Mapping[Any, Any]] = {}
    wanted = list(duplicates)
    for start in range(0, len(wanted), INSERT_CHUNK):
        stmt = select(results).where(results.c.id.in_(wanted[start : start + INSERT_CHUNK]))
        for row in (await uow.session.execute(stmt)).mappings():
            stored[row["id"]] = row
    for index, (item, rid) in enumerate(zip(items, ids, strict=True)):
        if rid not in duplicates:
            continue
        found = stored.get(rid)
        if found is None or (found["project_id"], found["ai_type"]) != (
            uow.project_id,
            item.agent_type,
        ):
            raise ConflictError(
                f"result id {rid} is already used by another record", field=f"results.{index}"
            )
        differing = replay.differing_fields(found, item)
        if differing:
            raise ConflictError(
                replay.conflict_message(rid, differing), field=f"results.{index}.id"
            )
