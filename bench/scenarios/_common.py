"""Helpers shared by the agent-metrics scenarios."""

from __future__ import annotations

import random
import uuid
from typing import Any

from evalledger.sdk.ledger import Ledger

BACKENDS = ("postgresql", "sqlite")


async def open_ledger(url: str) -> Ledger:
    return await Ledger.open(url)


async def ensure_agents(ledger: Ledger, names: list[str]) -> None:
    """Create the agents, then refresh the planner's statistics of their table.

    A database that grew to 10,000 agents would have been analyzed by autovacuum (within
    its one-minute nap), but a bench that times right after creating them meets the
    statistics of a near-empty table: PostgreSQL then locks a group's agents
    (``agent_type IN (...) FOR UPDATE``) with a sequential scan, 10 ms per statement at
    10,000 agents, and 16 writers over 10,000 agents recorded 487-542 results/s instead of
    1,192-1,298 once analyzed (measured 2026-12-01 on an idle machine).
    """
    from evalledger.agents.repository import agents
    from evalledger.db.bulk import analyze

    for name in names:
        await ledger.create_or_update_agent_metrics(name)
    async with ledger.db.write_connection() as conn:
        await analyze(conn, (agents,))


def result(rng: random.Random, with_id: bool = True) -> dict[str, Any]:
    passed = rng.random() < 0.7
    out: dict[str, Any] = {
        "passed": passed,
        "score": round(rng.uniform(60, 100) if passed else rng.uniform(0, 60), 2),
        "duration": round(rng.uniform(0.1, 3.0), 3),
        "test_category": "reasoning",
        "test_type": "single",
    }
    if with_id:
        out["id"] = str(uuid.uuid4())  # never shared between scenarios (a re-sent id is a 409)
    return out
