"""A user's first script, as mypy --strict sees it (tests/unit/test_sdk_typing.py).

Not a test module: it is type-checked, never collected. Every result is assigned to an
annotated variable, so a method typed ``Any`` or ``object`` fails the check.
"""

from __future__ import annotations

import asyncio
import uuid

from evalledger import Client, Ledger, SyncClient
from evalledger.agents.schemas import AgentMetricsOut, CustodyMetrics, CustodyTestRecorded
from evalledger.competitions.schemas import EventOut, EventRecorded, Leaderboard
from evalledger.consensus.schemas import ProposalOut, VoteOut
from evalledger.framework.schemas import ExecutionOut
from evalledger.pagination import Page
from evalledger.power.schemas import NetworkAnalysis, TransferOut
from evalledger.sdk.client import SyncRecorder


async def in_process() -> None:
    async with Ledger.open() as ledger:
        recorded: CustodyTestRecorded = await ledger.update_custody_test_result(
            "guardian", {"passed": True, "score": 95}
        )
        metrics: AgentMetricsOut = await ledger.get_agent_metrics("guardian")
        board: Leaderboard = await ledger.leaderboard("elo")
        async with ledger.recorder(batch_size=10) as rec:
            result_id: uuid.UUID = await rec.record("guardian", passed=True, score=90)
        started: ExecutionOut = await ledger.start_execution({"framework": "kite"})
        runs: list[ExecutionOut] = await ledger.list_executions(framework="kite", limit=5)
        print(recorded.updated_custody_metrics, metrics.xp, board.entries, result_id)
        print(started.id, len(runs))
        event: EventRecorded = await ledger.record_event(
            {"event_type": "duel", "participants": ["guardian"]}
        )
        events: Page[EventOut] = await ledger.list_events(event_type="duel", limit=10)
        vote: VoteOut = await ledger.cast_vote(event.event.id, {"node": "n1", "choice": "yes"})
        network: NetworkAnalysis = await ledger.analyze_power_network(0.5)
        print(len(events.items), vote.state.total_votes, network.influence)


async def remote() -> None:
    async with Client("http://127.0.0.1:8000", api_key=None) as client:
        recorded: CustodyTestRecorded = await client.update_custody_test_result(
            "guardian", {"passed": True, "score": 95}
        )
        custody: CustodyMetrics = await client.get_custody_metrics("guardian")
        one: ExecutionOut = await client.get_execution(uuid.uuid4())
        print(recorded.updated_custody_metrics, custody.custody_xp, one.status)
        proposals: list[ProposalOut] = await client.list_proposals("open")
        moved: TransferOut = await client.transfer_power(
            {"source": "a", "target": "b", "amount": 1}
        )
        print(len(proposals), moved.balances)


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
        print(finished.duration_ms)
        got: EventOut = client.get_event(uuid.uuid4())
        closed: ProposalOut = client.close_proposal(str(uuid.uuid4()))
        print(got.winners, closed.status)
        print(metrics.xp, recorded.updated_custody_metrics, board.entries, result_id, count)


if __name__ == "__main__":
    asyncio.run(in_process())
    asyncio.run(remote())
    blocking()
