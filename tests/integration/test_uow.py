"""The unit of work and the seeds' ``@transaction``: all or nothing, on both backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from evalledger.agents.models import AgentMetrics
from evalledger.agents.repository import AgentRepository
from evalledger.sdk.ledger import Ledger
from evalledger.uow import UnitOfWork, transaction


@transaction
async def create_two(uow: UnitOfWork, first: str, second: str, fail: bool = False) -> None:
    repo = AgentRepository(uow)
    await repo.create(first, {})
    await repo.create(second, {})
    if fail:
        raise RuntimeError("boom")


async def _count(ledger: Ledger) -> int:
    async with ledger.db.engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(AgentMetrics))).scalar_one()
        )


async def test_transaction_commits_on_success(ledger: Ledger) -> None:
    await create_two(ledger.db, "a", "b")
    assert await _count(ledger) == 2


async def test_transaction_rolls_back_on_error(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError):
        await create_two(ledger.db, "a", "b", fail=True)
    assert await _count(ledger) == 0


async def test_transactions_compose_into_one(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(ledger.db) as uow:
            await create_two(uow, "a", "b")
            await create_two(uow, "c", "d", fail=True)
    assert await _count(ledger) == 0


async def test_concurrent_writers_never_see_database_locked(seeded: Ledger) -> None:
    """Mixed concurrent reads and writes through separate units of work all succeed."""

    async def write(i: int) -> None:
        await seeded.update_custody_test_result("imperium", {"passed": i % 2 == 0, "score": 50})

    async def read() -> None:
        await seeded.get_agent_metrics("imperium")

    await asyncio.gather(*(write(i) if i % 3 else read() for i in range(150)))
    assert (await seeded.get_custody_metrics("imperium")).total_tests_given == 100


SCRIPT = """
import asyncio, sys
from evalledger.sdk.ledger import Ledger
async def main():
    async with Ledger.open(sys.argv[1]) as ledger:
        for _ in range(int(sys.argv[2])):
            result = {"passed": True, "score": 60, "xp_awarded": 1}
            await ledger.update_custody_test_result("guardian", result)
asyncio.run(main())
"""


async def test_several_processes_write_one_database(seeded: Ledger) -> None:
    """Separate processes on one database (SQLite: one file) interleave without errors."""
    import evalledger

    src = os.path.dirname(os.path.dirname(evalledger.__file__))
    env = {**os.environ, "PYTHONPATH": src}
    url = seeded.settings.database_url
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", SCRIPT, url, "40", env=env, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    for proc in procs:
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
    metrics = await seeded.get_agent_metrics("guardian")
    assert metrics.total_tests_given == 120 and metrics.xp == 120
