"""``evalledger serve --workers 2``: two processes writing the same agent keep its counters
exact (SQLite serialises writers through ``BEGIN IMMEDIATE``; PostgreSQL locks the row)."""

from __future__ import annotations

import asyncio

import httpx

from evalledger.sdk.ledger import Ledger
from tests.support.server import running_server

RESULTS = 160
CLIENTS = 16


async def test_two_workers_count_every_result_once(seeded: Ledger) -> None:
    url = seeded.settings.database_url
    with running_server(url, "--no-auth", "--workers", "2") as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for n in range(RESULTS):
                queue.put_nowait(n)

            async def client() -> None:
                while not queue.empty():
                    n = queue.get_nowait()
                    r = await http.post(
                        "/api/agent-metrics/guardian/custody-test",
                        json={"passed": n % 2 == 0, "score": 50 + n % 50, "xp_awarded": 3},
                    )
                    assert r.status_code in (200, 201), r.text

            await asyncio.gather(*(client() for _ in range(CLIENTS)))
    metrics = await seeded.pin_primary().get_agent_metrics("guardian")
    assert metrics.total_tests_given == RESULTS
    assert metrics.xp == 3 * RESULTS
    assert metrics.total_tests_passed == RESULTS // 2
