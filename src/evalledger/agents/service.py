"""The agent-metrics service: seed 001's operations, each one transaction.

Functions take an open :class:`UnitOfWork` and never commit; the caller's ``async with``
decides. Counters move under the agent's row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; the
database write lock on SQLite), with the new values computed by the pure rules in
:mod:`evalledger.agents.progression`, so concurrent recordings never lose an update.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from evalledger.agents import progression, replay
from evalledger.agents.repository import AgentRepository
from evalledger.agents.schemas import (
    AgentLeader,
    AgentMetricsOut,
    AgentMetricsUpdate,
    AgentsOverview,
    AgentsSummary,
    AgentUpdated,
    AnalyticsSummary,
    BulkUpdated,
    CustodyMetrics,
    CustodyTestIn,
    CustodyTestOut,
    CustodyTestRecorded,
    LearningIn,
)
from evalledger.config import Settings
from evalledger.db.idempotency import run_idempotent
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError
from evalledger.uow import UnitOfWork

DEFAULT_AGENTS = ("imperium", "guardian", "sandbox", "conquest")


class AgentMetricsService:
    """Seed 001's ``AgentMetricsService``, database-first and race-free."""

    def __init__(
        self,
        uow: UnitOfWork,
        settings: Settings,
        rules: progression.ProgressionRules = progression.DEFAULT_RULES,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.rules = rules
        self.repo = AgentRepository(uow)

    # -- reads -------------------------------------------------------------------------

    async def get_agent_metrics(self, agent_type: str) -> AgentMetricsOut:
        row = await self.repo.get(agent_type)
        return await self._with_history(row)

    async def get_all_agent_metrics(self) -> AgentsOverview:
        totals = await self.repo.totals()
        return AgentsOverview(
            total_agents=totals["total_agents"],
            agents=await self.repo.agent_types(),
            summary=AgentsSummary(
                total_learning_score=float(totals["total_learning_score"]),
                total_xp=int(totals["total_xp"]),
                total_tests_given=int(totals["total_tests_given"]),
                total_tests_passed=int(totals["total_tests_passed"]),
                average_level=round(float(totals["average_level"]), 4),
            ),
        )

    async def list_agents(self) -> list[AgentMetricsOut]:
        """Every agent's metrics, without test history (one query)."""
        return [AgentMetricsOut.model_validate(dict(r)) for r in await self.repo.list_all()]

    async def get_custody_metrics(self, agent_type: str) -> CustodyMetrics:
        return CustodyMetrics.model_validate(dict(await self.repo.get(agent_type)))

    async def get_analytics_summary(self) -> AnalyticsSummary:
        totals = await self.repo.totals()
        given = int(totals["total_tests_given"])
        passed = int(totals["total_tests_passed"])
        return AnalyticsSummary(
            total_agents=int(totals["total_agents"]),
            active_agents=int(totals["active_agents"]),
            total_tests_given=given,
            total_tests_passed=passed,
            total_tests_failed=int(totals["total_tests_failed"]),
            overall_pass_rate=progression.pass_rate(passed, given),
            total_xp=int(totals["total_xp"]),
            average_level=round(float(totals["average_level"]), 4),
            average_learning_score=round(float(totals["average_learning_score"]), 4),
            total_learning_cycles=int(totals["total_learning_cycles"]),
            difficulty_distribution=await self.repo.difficulty_distribution(),
            top_agents=[AgentLeader.model_validate(dict(r)) for r in await self.repo.top_by_xp(5)],
            agents_tested_last_24h=await self.repo.agents_tested_since(
                utcnow() - timedelta(hours=24)
            ),
        )

    # -- writes ------------------------------------------------------------------------

    async def create_or_update_agent_metrics(
        self, agent_type: str, data: AgentMetricsUpdate, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        async def apply() -> AgentUpdated:
            values = data.model_dump(exclude_unset=True)
            created = await self.repo.create(agent_type, values)
            if not created and values:
                await self.repo.set(agent_type, values)
            self.uow.audit(
                "agent_metrics", agent_type, "create" if created else "update", values or None
            )
            return AgentUpdated(
                agent_type=agent_type,
                message=f"Agent {agent_type} {'created' if created else 'updated'}",
                created=created,
                metrics=await self._with_history(await self.repo.get(agent_type)),
            )

        return await run_idempotent(
            self.uow,
            idempotency_key,
            f"put_agent:{agent_type}",
            AgentUpdated,
            apply,
            request=data.model_dump(mode="json", exclude_unset=True),
        )

    async def update_specific_metrics(
        self, agent_type: str, updates: AgentMetricsUpdate, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        async def apply() -> AgentUpdated:
            await self.repo.get(agent_type, lock=True)  # 404 when missing
            values = updates.model_dump(exclude_unset=True)
            if values:
                await self.repo.set(agent_type, values)
                self.uow.audit("agent_metrics", agent_type, "update", values)
            return AgentUpdated(
                agent_type=agent_type,
                message=f"Agent {agent_type} updated",
                metrics=await self._with_history(await self.repo.get(agent_type)),
            )

        return await run_idempotent(
            self.uow,
            idempotency_key,
            f"update_agent:{agent_type}",
            AgentUpdated,
            apply,
            request=updates.model_dump(mode="json", exclude_unset=True),
        )

    async def bulk_update_metrics(
        self, updates: Mapping[str, AgentMetricsUpdate], *, idempotency_key: str | None = None
    ) -> BulkUpdated:
        async def apply() -> BulkUpdated:
            await self.repo.lock_many(list(updates))  # all exist, or 404 and nothing written
            for agent_type in sorted(updates):
                values = updates[agent_type].model_dump(exclude_unset=True)
                if values:
                    await self.repo.set(agent_type, values)
                    self.uow.audit("agent_metrics", agent_type, "bulk_update", values)
            names = sorted(updates)
            return BulkUpdated(updated=names, total_updated=len(names))

        request = {k: v.model_dump(mode="json", exclude_unset=True) for k, v in updates.items()}
        return await run_idempotent(
            self.uow, idempotency_key, "bulk_update", BulkUpdated, apply, request=request
        )

    async def update_custody_test_result(
        self, agent_type: str, result: CustodyTestIn
    ) -> CustodyTestRecorded:
        """Record one result and move the agent's counters, atomically and exactly once."""
        agent = await self.repo.get(agent_type, lock=True)
        now = utcnow()
        row = self._result_row(agent_type, agent, agent["current_difficulty"], result, now)
        if not await self.repo.insert_result(row):
            return await self._replayed(agent_type, row["id"], result)
        state = progression.apply_test(
            progression.CustodyState.from_row(agent), _outcome(row, now), self.rules
        )
        values = state.derived(self.rules)
        await self.repo.set(agent_type, values)
        self._audit_result(row)
        return _recorded(agent_type, row["id"], agent, values)

    async def record_results_together(
        self, items: Sequence[tuple[str, CustodyTestIn]]
    ) -> list[CustodyTestRecorded]:
        """Record several single results ``(agent_type, result)`` in one transaction.

        The group commit behind concurrent single recordings. The answer for each result is
        exactly what :meth:`update_custody_test_result` would have returned had the results
        been recorded one after another in this order: the agents are locked (sorted order),
        the rules fold each agent's results one by one, every result is audited. Anything
        unusual (a re-sent or repeated id) raises :class:`RecordSeparately`, so the caller
        rolls back and records the results one at a time, which handles every case.
        """
        ids = [item.id for _, item in items if item.id is not None]
        if len(set(ids)) != len(ids):
            raise RecordSeparately("an id repeats within the group")
        agents = await self.repo.lock_many([agent_type for agent_type, _ in items])
        now = utcnow()
        states = {name: progression.CustodyState.from_row(row) for name, row in agents.items()}
        changes: dict[str, dict[str, Any]] = {}
        rows, answers = [], []
        for agent_type, item in items:
            agent, state = agents[agent_type], states[agent_type]
            row = self._result_row(agent_type, agent, state.current_difficulty, item, now)
            states[agent_type] = state = progression.apply_test(
                state, _outcome(row, now), self.rules
            )
            changes[agent_type] = values = state.derived(self.rules)
            rows.append(row)
            answers.append(_recorded(agent_type, row["id"], agent, values))
        if await self.repo.insert_results(rows) != len(rows):
            raise RecordSeparately("a result id is already recorded")
        await self.repo.set_many(changes)
        for row in rows:
            self._audit_result(row)
        return answers

    def _result_row(
        self,
        agent_type: str,
        agent: Mapping[Any, Any],
        current_difficulty: str,
        result: CustodyTestIn,
        now: datetime,
    ) -> dict[str, Any]:
        result_id = result.id or uuid.uuid4()
        difficulty = result.test_difficulty or current_difficulty
        xp = result.xp_awarded
        if xp is None:
            xp = progression.default_xp_award(result.passed, result.score, difficulty, self.rules)
        return {
            "id": result_id,
            "project_id": self.uow.project_id,
            "ai_type": agent_type,
            "test_id": result.test_id or str(result_id),
            "test_category": result.test_category,
            "test_difficulty": difficulty,
            "test_type": result.test_type,
            "passed": result.passed,
            "score": result.score,
            "xp_awarded": xp,
            "learning_score_awarded": result.learning_score_awarded,
            "duration": result.duration,
            "tested_at": result.timestamp,
            "agent_epoch": agent["epoch"],
            "ai_responses": result.ai_responses,
            "explainability_data": result.explainability_data,
            "evaluation": result.evaluation,
            "threshold": result.threshold,
            "scenario": result.scenario,
            "ai_response": result.ai_response,
            "tags": result.tags,
            "metadata": result.metadata,
            "agent_version": result.agent_version,
            "metrics": result.metrics,
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "created_at": now,
            "updated_at": now,
        }

    def _audit_result(self, row: Mapping[str, Any]) -> None:
        self.uow.audit(
            "custody_test_result",
            row["id"],
            "create",
            {
                "ai_type": row["ai_type"],
                "passed": row["passed"],
                "score": row["score"],
                "xp": row["xp_awarded"],
            },
        )

    async def _replayed(
        self, agent_type: str, result_id: uuid.UUID, sent: CustodyTestIn
    ) -> CustodyTestRecorded:
        stored = await self.repo.get_result(result_id)
        if (
            stored is None
            or stored["project_id"] != self.uow.project_id
            or stored["ai_type"] != agent_type
        ):
            raise ConflictError(
                f"result id {result_id} is already used by another record", field="id"
            )
        differing = replay.differing_fields(stored, sent)
        if differing:
            raise ConflictError(replay.conflict_message(result_id, differing), field="id")
        return CustodyTestRecorded(
            agent_type=agent_type,
            message="Custody test result already recorded; nothing changed",
            result_id=result_id,
            duplicate=True,
            updated_custody_metrics=await self.get_custody_metrics(agent_type),
        )

    async def update_learning_metrics(
        self, agent_type: str, data: LearningIn, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        async def apply() -> AgentUpdated:
            agent = await self.repo.get(agent_type, lock=True)
            values = progression.apply_learning(
                progression.LearningState.from_row(agent),
                progression.LearningUpdate(
                    learning_score_delta=data.learning_score_delta,
                    successes=data.successes,
                    failures=data.failures,
                    patterns=data.patterns,
                    suggestions=data.suggestions,
                ),
                max_patterns=self.settings.max_learning_patterns_size,
                max_suggestions=self.settings.max_improvement_suggestions_size,
            )
            await self.repo.set(agent_type, values)
            self.uow.audit("agent_metrics", agent_type, "learning", data.model_dump(mode="json"))
            return AgentUpdated(
                agent_type=agent_type,
                message="Learning metrics updated",
                metrics=await self._with_history(await self.repo.get(agent_type)),
            )

        return await run_idempotent(
            self.uow, idempotency_key, f"learning:{agent_type}", AgentUpdated, apply, request=data
        )

    async def reset_agent_metrics(
        self, agent_type: str, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        """Zero the derived metrics and start a new epoch. Results are kept, never deleted."""

        async def apply() -> AgentUpdated:
            agent = await self.repo.get(agent_type, lock=True)
            values: dict[str, Any] = {
                **progression.CustodyState().derived(self.rules),
                **progression.apply_learning(
                    progression.LearningState(),
                    progression.LearningUpdate(),
                    max_patterns=0,
                    max_suggestions=0,
                ),
                "total_learning_cycles": 0,
                "adversarial_wins": 0,
                "epoch": agent["epoch"] + 1,
            }
            await self.repo.set(agent_type, values)
            self.uow.audit("agent_metrics", agent_type, "reset", {"epoch": values["epoch"]})
            return AgentUpdated(
                agent_type=agent_type,
                message=f"Metrics of {agent_type} reset",
                metrics=await self._with_history(await self.repo.get(agent_type)),
            )

        return await run_idempotent(
            self.uow, idempotency_key, f"reset:{agent_type}", AgentUpdated, apply
        )

    async def seed_default_agents(self) -> list[str]:
        """Create the default agents that do not exist yet; returns those created."""
        created = []
        for agent_type in DEFAULT_AGENTS:
            if await self.repo.create(agent_type, {}):
                self.uow.audit("agent_metrics", agent_type, "create", {"seed": True})
                created.append(agent_type)
        return created

    # -- helpers -----------------------------------------------------------------------

    async def _with_history(self, row: Mapping[Any, Any]) -> AgentMetricsOut:
        history = await self.repo.history(
            row["agent_type"], row["epoch"], self.settings.max_test_history_size
        )
        return AgentMetricsOut.model_validate(
            {**dict(row), "test_history": [_result_out(h) for h in history]}
        )


class RecordSeparately(Exception):
    """A group of results cannot be recorded together; record them one at a time."""


def _outcome(row: Mapping[str, Any], now: datetime) -> progression.TestOutcome:
    return progression.TestOutcome(
        passed=row["passed"],
        xp_awarded=row["xp_awarded"],
        learning_score_awarded=row["learning_score_awarded"],
        tested_at=row["tested_at"] or now,
    )


def _recorded(
    agent_type: str, result_id: uuid.UUID, agent: Mapping[Any, Any], values: Mapping[str, Any]
) -> CustodyTestRecorded:
    return CustodyTestRecorded(
        agent_type=agent_type,
        message="Custody test result recorded successfully",
        result_id=result_id,
        updated_custody_metrics=CustodyMetrics.model_validate({**dict(agent), **values}),
    )


def _result_out(row: Mapping[Any, Any]) -> CustodyTestOut:
    return CustodyTestOut.model_validate({**dict(row), "timestamp": row["tested_at"]})
