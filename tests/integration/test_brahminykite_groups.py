"""Seed 004's consensus, framework, power and evolution groups, on both backends."""

from __future__ import annotations

import asyncio

import pytest

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork


async def other_project(ledger: Ledger) -> Ledger:
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, "other")
    return ledger.in_project(project.id)


# -- consensus ------------------------------------------------------------------------


async def _proposal(ledger: Ledger, nodes: int, quorum: int) -> str:
    for i in range(nodes):
        await ledger.register_consensus_node({"name": f"n{i}"})
    p = await ledger.create_proposal({"name": "p", "choices": ["yes", "no"], "quorum": quorum})
    return str(p.id)


async def test_votes_are_tallied_and_one_per_node(ledger: Ledger) -> None:
    pid = await _proposal(ledger, 4, quorum=3)
    first = await ledger.cast_vote(pid, {"node": "n0", "choice": "yes"})
    assert first.state.counts == {"yes": 1} and not first.state.quorum_reached
    with pytest.raises(ConflictError):
        await ledger.cast_vote(pid, {"node": "n0", "choice": "no"})
    with pytest.raises(ValidationFailed):
        await ledger.cast_vote(pid, {"node": "n1", "choice": "maybe"})
    with pytest.raises(NotFoundError):
        await ledger.cast_vote(pid, {"node": "ghost", "choice": "yes"})
    await ledger.cast_vote(pid, {"node": "n1", "choice": "yes"})
    last = await ledger.cast_vote(pid, {"node": "n2", "choice": "no"})
    assert last.state.counts == {"no": 1, "yes": 2}
    assert last.state.quorum_reached and last.state.decided and last.state.winner == "yes"
    closed = await ledger.close_proposal(pid)
    assert closed.status == "decided" and closed.outcome == "yes" and closed.decided_at
    with pytest.raises(ConflictError):
        await ledger.cast_vote(pid, {"node": "n3", "choice": "no"})
    with pytest.raises(ConflictError):
        await ledger.close_proposal(pid)


async def test_tie_or_no_quorum_closes_without_consensus(ledger: Ledger) -> None:
    pid = await _proposal(ledger, 2, quorum=2)
    await ledger.cast_vote(pid, {"node": "n0", "choice": "yes"})
    await ledger.cast_vote(pid, {"node": "n1", "choice": "no"})
    closed = await ledger.close_proposal(pid)
    assert closed.status == "no_consensus" and closed.outcome is None
    assert closed.state is not None and closed.state.winner is None


async def test_concurrent_votes_of_one_node_count_once(ledger: Ledger) -> None:
    pid = await _proposal(ledger, 1, quorum=1)
    results = await asyncio.gather(
        *(ledger.cast_vote(pid, {"node": "n0", "choice": "yes"}) for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ConflictError) for r in results if isinstance(r, BaseException))
    proposal = await ledger.get_proposal(pid)
    assert proposal.state is not None and proposal.state.total_votes == 1


# -- framework ------------------------------------------------------------------------


async def test_execution_lifecycle_and_stats(ledger: Ledger) -> None:
    e1 = await ledger.start_execution({"framework": "empirical", "claim_id": "c1"})
    assert e1.status == "running" and e1.finished_at is None
    done = await ledger.finish_execution(e1.id, {"status": "completed", "output": {"ok": 1}})
    assert done.status == "completed" and done.finished_at is not None
    assert done.duration_ms is not None and done.duration_ms >= 0
    with pytest.raises(ConflictError):
        await ledger.finish_execution(e1.id, {"status": "failed"})
    e2 = await ledger.start_execution({"framework": "empirical"})
    await ledger.finish_execution(e2.id, {"status": "failed", "error": "boom"})
    await ledger.start_execution({"framework": "logical"})
    stats = {s.framework: s for s in await ledger.execution_stats()}
    assert (stats["empirical"].total, stats["empirical"].completed) == (2, 1)
    assert stats["empirical"].failed == 1 and stats["logical"].running == 1
    assert stats["logical"].avg_duration_ms is None
    other = await other_project(ledger)
    with pytest.raises(NotFoundError):
        await other.get_execution(e1.id)


async def test_metrics_configuration_and_state(ledger: Ledger) -> None:
    for v in (1.0, 2.0, 6.0):
        await ledger.record_framework_metric({"framework": "f", "name": "latency", "value": v})
    [summary] = await ledger.framework_metric_summary("f")
    assert (summary.count, summary.min, summary.max) == (3, 1.0, 6.0)
    assert summary.avg == pytest.approx(3.0)
    first = await ledger.set_framework_configuration("f", {"depth": 1})
    assert first.version == 1
    await asyncio.gather(*(ledger.set_framework_configuration("f", {"depth": i}) for i in range(5)))
    assert (await ledger.get_framework_configuration("f")).version == 6
    with pytest.raises(NotFoundError):
        await ledger.get_framework_configuration("g")
    await ledger.save_framework_state("f", {"state": {"step": 1}})
    await ledger.save_framework_state("f", {"state": {"step": 2}})
    assert (await ledger.latest_framework_state("f")).state == {"step": 2}


# -- power ----------------------------------------------------------------------------


async def _network(ledger: Ledger) -> None:
    for name, power in (("a", 100.0), ("b", 50.0), ("c", 0.0), ("d", 10.0)):
        await ledger.create_power_node({"name": name, "power": power})
    for s, t, w in (("a", "b", 0.9), ("b", "c", 0.8), ("c", "d", 0.1), ("a", "d", 0.2)):
        await ledger.set_power_relation({"source": s, "target": t, "weight": w})


async def test_network_analysis_and_coalitions(ledger: Ledger) -> None:
    await _network(ledger)
    analysis = await ledger.analyze_power_network(threshold=0.5)
    assert analysis.coalitions == [["a", "b", "c"]]
    assert sum(analysis.influence.values()) == pytest.approx(1.0)
    assert max(analysis.influence, key=analysis.influence.__getitem__) == "a"
    reweighed = await ledger.set_power_relation({"source": "c", "target": "d", "weight": 0.7})
    assert reweighed.weight == 0.7 and len(await ledger.list_power_relations()) == 4
    assert (await ledger.analyze_power_network(0.5)).coalitions == [["a", "b", "c", "d"]]
    recorded = await ledger.record_influence()
    assert {m.node for m in recorded} == {"a", "b", "c", "d"}
    assert [m.name for m in await ledger.power_node_metrics("a")] == ["influence"]
    with pytest.raises(ValidationFailed):
        await ledger.set_power_relation({"source": "a", "target": "a", "weight": 1})


async def test_transfer_moves_power_and_records_event(ledger: Ledger) -> None:
    await _network(ledger)
    out = await ledger.transfer_power({"source": "a", "target": "c", "amount": 30, "reason": "x"})
    assert out.balances == {"a": 70.0, "c": 30.0}
    assert out.event.event_type == "transfer" and out.event.amount == 30
    with pytest.raises(ValidationFailed):
        await ledger.transfer_power({"source": "d", "target": "a", "amount": 11})
    with pytest.raises(NotFoundError):
        await ledger.transfer_power({"source": "zz", "target": "a", "amount": 1})
    balances = {n.name: n.power for n in await ledger.list_power_nodes()}
    assert balances == {"a": 70.0, "b": 50.0, "c": 30.0, "d": 10.0}
    assert len(await ledger.list_power_events()) == 1


async def test_concurrent_transfers_conserve_power(ledger: Ledger) -> None:
    await _network(ledger)
    moves = [("a", "b", 7.0), ("b", "a", 5.0), ("c", "d", 3.0), ("d", "a", 4.0)] * 6
    results = await asyncio.gather(
        *(ledger.transfer_power({"source": s, "target": t, "amount": a}) for s, t, a in moves),
        return_exceptions=True,
    )
    assert all(not isinstance(r, BaseException) or isinstance(r, ValidationFailed) for r in results)
    succeeded = sum(not isinstance(r, BaseException) for r in results)
    nodes = await ledger.list_power_nodes()
    assert sum(n.power for n in nodes) == pytest.approx(160.0)
    assert all(n.power >= 0 for n in nodes)
    assert len(await ledger.list_power_events(limit=1000)) == succeeded


# -- evolution ------------------------------------------------------------------------


async def test_lineage_generations_and_fitness_stats(ledger: Ledger) -> None:
    root = await ledger.create_evolution_agent({"name": "root", "fitness": 0.2})
    assert root.generation == 0
    child = await ledger.create_evolution_agent(
        {"name": "c1", "parent_id": root.id, "fitness": 0.5}
    )
    sibling = await ledger.create_evolution_agent({"name": "c2", "parent_id": root.id})
    grandchild = await ledger.create_evolution_agent({"name": "g", "parent_id": child.id})
    assert (child.generation, grandchild.generation) == (1, 2)
    with pytest.raises(ValidationFailed):
        await ledger.create_evolution_agent({"name": "x", "parent_id": child.id, "generation": 1})
    lineage = await ledger.agent_lineage(grandchild.id)
    assert [a.name for a in lineage] == ["g", "c1", "root"]
    await ledger.set_fitness(sibling.id, 0.9)
    assert (await ledger.best_agent(1)).id == sibling.id
    stats = {s.generation: s for s in await ledger.generation_stats()}
    assert (stats[1].agents, stats[1].scored) == (2, 2)
    assert stats[1].max_fitness == 0.9 and stats[1].min_fitness == 0.5
    assert stats[1].avg_fitness == pytest.approx(0.7)
    assert stats[2].scored == 0 and stats[2].max_fitness is None
    with pytest.raises(NotFoundError):
        await ledger.best_agent(2)
    assert [m.value for m in await ledger.evolution_agent_metrics(sibling.id)] == [0.9]
    await ledger.snapshot_agent(child.id, {"state": {"w": [1, 2]}})
    assert (await ledger.latest_snapshot(child.id)).state == {"w": [1, 2]}
    other = await other_project(ledger)
    with pytest.raises(NotFoundError):
        await other.create_evolution_agent({"name": "x", "parent_id": root.id})
