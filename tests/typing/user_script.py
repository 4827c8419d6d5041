"""A user's first script, as mypy --strict sees it (tests/unit/test_sdk_typing.py).

Not a test module: it is type-checked, never collected. Every result is assigned to an
annotated variable, so a method typed ``Any`` or ``object`` fails the check.
"""

from __future__ import annotations

import asyncio
import uuid

from evalledger import Client, Ledger, SyncClient
from evalledger.agents.results_schemas import ResultsSummary
from evalledger.agents.schemas import (
    AgentMetricsOut,
    AgentUpdated,
    CustodyMetrics,
    CustodyTestOut,
    CustodyTestRecorded,
)
from evalledger.assessments.schemas import AssessmentOut, StudentDetail, StudentOut
from evalledger.audit.schemas import AuditEntry
from evalledger.competitions.schemas import EventOut, EventRecorded, Leaderboard
from evalledger.consensus.schemas import ProposalOut, VoteOut
from evalledger.evolution.schemas import AgentOut
from evalledger.framework.schemas import ExecutionOut
from evalledger.pagination import Page
from evalledger.power.schemas import NetworkAnalysis, TransferOut
from evalledger.runs.compare_schemas import RunComparison, RunLeaderboard
from evalledger.runs.schemas import RunRecorded
from evalledger.runs.session import RunSession, SyncRunSession
from evalledger.sdk.client import SyncRecorder
from evalledger.verification.schemas import ClaimOut, ConsensusOut
from evalledger.verification.training_schemas import CheckpointOut, TrainingBatch


async def in_process() -> None:
    async with Ledger.open() as ledger:
        recorded: CustodyTestRecorded = await ledger.update_custody_test_result(
            "guardian", {"passed": True, "score": 95}
        )
        metrics: AgentMetricsOut = await ledger.get_agent_metrics("guardian")
        board: Leaderboard = await ledger.leaderboard("elo")
        gated: RunComparison = await ledger.compare_runs(
            uuid.uuid4(), uuid.uuid4(), min_effect=0.01
        )
        print(gated.gate.regressed)
        async with ledger.recorder(batch_size=10) as rec:
            result_id: uuid.UUID = await rec.record("guardian", passed=True, score=90)
        started: ExecutionOut = await ledger.start_execution({"framework": "kite"})
        runs: list[ExecutionOut] = await ledger.list_executions(framework="kite", limit=5)
        print(recorded.updated_custody_metrics, metrics.xp, board.entries, result_id)
        claim: ClaimOut = await ledger.create_claim({"external_id": "c1", "content": "x"})
        claims: Page[ClaimOut] = await ledger.list_claims(limit=10)
        decision: ConsensusOut = await ledger.compute_consensus("c1", "majority")
        lineage: list[AgentOut] = await ledger.agent_lineage(uuid.uuid4())
        print(started.id, len(runs), claim.id, claims.next_cursor, decision.valid, lineage)
        ann: StudentOut = await ledger.create_student({"name": "Ann"})
        scored: AssessmentOut = await ledger.create_assessment(
            ann.id, {"skill_type": "empathy", "score": 0.7, "confidence": 0.9}, use_cached=True
        )
        log: Page[AuditEntry] = await ledger.list_audit_log(entity_type="student", limit=10)
        print(scored.cached, len(log.items))
        event: EventRecorded = await ledger.record_event(
            {"event_type": "duel", "participants": ["guardian"]}
        )
        events: Page[EventOut] = await ledger.list_events(event_type="duel", limit=10)
        vote: VoteOut = await ledger.cast_vote(event.event.id, {"node": "n1", "choice": "yes"})
        network: NetworkAnalysis = await ledger.analyze_power_network(0.5)
        print(len(events.items), vote.state.total_votes, network.influence)
        agents: list[AgentMetricsOut] = await ledger.list_agents()
        found: Page[CustodyTestOut] = await ledger.list_results(agent="guardian", tag="nightly")
        print(len(agents), found.next_cursor)
        session: RunSession
        async with ledger.start_run("custody", agent="guardian", tags=["nightly"]) as session:
            await session.record("t1", passed=True, score=90, metrics={"latency_ms": 812})
        run_recorded: RunRecorded | None = session.recorded
        print(run_recorded)


async def remote() -> None:
    async with Client("http://127.0.0.1:8000", api_key=None) as client:
        recorded: CustodyTestRecorded = await client.update_custody_test_result(
            "guardian", {"passed": True, "score": 95}
        )
        custody: CustodyMetrics = await client.get_custody_metrics("guardian")
        one: ExecutionOut = await client.get_execution(uuid.uuid4())
        batch: TrainingBatch = await client.claim_training_batch("empirical", 10)
        best: AgentOut = await client.best_agent(3)
        print(recorded.updated_custody_metrics, custody.custody_xp, one.status, batch, best)
        print(recorded.updated_custody_metrics, custody.custody_xp, one.status)
        updated: AgentUpdated = await client.update_specific_metrics("guardian", {"status": "ok"})
        summary: ResultsSummary = await client.summarize_results("guardian", group_by="tag")
        print(updated.metrics.status, summary.groups)
        detail: StudentDetail = await client.get_student(uuid.uuid4())
        page: Page[AssessmentOut] = await client.list_assessments(skill_type="empathy", limit=5)
        print(detail.total_assessments, page.next_cursor)
        proposals: list[ProposalOut] = await client.list_proposals("open")
        moved: TransferOut = await client.transfer_power(
            {"source": "a", "target": "b", "amount": 1}
        )
        print(len(proposals), moved.balances)
        async with client.start_run("custody", agent="guardian", external_id="k1") as run:
            await run.record("t1", passed=False, score=12.5, epoch=2, output="no")
        remote_recorded: RunRecorded | None = run.recorded
        print(remote_recorded)


def blocking() -> None:
    with SyncClient("http://127.0.0.1:8000") as client:
        metrics: AgentMetricsOut = client.get_agent_metrics("guardian")
        recorded: CustodyTestRecorded = client.update_custody_test_result(
            "guardian", {"passed": True, "score": 95}
        )
        board: Leaderboard = client.leaderboard("bradley_terry", rounds=10)
        rec: SyncRecorder
        with client.recorder(batch_size=100) as rec:
            result_id: uuid.UUID = rec.record("guardian", passed=False, score=12.5)
        count: int = rec.recorded
        finished: ExecutionOut = client.finish_execution(str(uuid.uuid4()), {"status": "failed"})
        active: CheckpointOut = client.get_active_checkpoint("verifier", "empirical")
        fit: AgentOut = client.set_fitness(uuid.uuid4(), 0.9)
        print(finished.duration_ms, active.version, fit.fitness)
        print(finished.duration_ms)
        results: Page[CustodyTestOut] = client.list_results(tag=["a", "b"], limit=10)
        print(len(results.items))
        students: Page[StudentOut] = client.list_students(limit=10)
        entries: Page[AuditEntry] = client.list_audit_log(action="create")
        print(len(students.items), len(entries.items))
        got: EventOut = client.get_event(uuid.uuid4())
        closed: ProposalOut = client.close_proposal(str(uuid.uuid4()))
        print(got.winners, closed.status)
        print(metrics.xp, recorded.updated_custody_metrics, board.entries, result_id, count)
        compared: RunComparison = client.compare_runs(uuid.uuid4(), uuid.uuid4(), scorer=["match"])
        ranked: RunLeaderboard = client.run_leaderboard("arith", scorer="match", ratings=True)
        print(compared.gate.passed, compared.comparison.scorers, ranked.leaderboard.rows)
        blocking_run: SyncRunSession
        with client.start_run("custody", agent="guardian", model="gpt-x") as blocking_run:
            blocking_run.record("t1", passed=True, score=100, duration=1.5)
        sent: RunRecorded | None = blocking_run.recorded
        print(sent)


if __name__ == "__main__":
    asyncio.run(in_process())
    asyncio.run(remote())
    blocking()
