"""SIGKILL the server while clients write: every write is all there or not there at all.

Single results and batches are sent concurrently with client-chosen ids; the server process
is killed without warning mid-stream, then restarted. Each batch must be wholly present or
wholly absent, and every agent's counters must equal what its stored results add up to.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import httpx
from sqlalchemy import func, select

from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_server_and_clients import _env
from tests.support.pgcluster import free_port


async def _start(url: str, port: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evalledger.cli.main",
        "serve",
        "--port",
        str(port),
        env=_env(
            EVALLEDGER_DATABASE_URL=url,
            EVALLEDGER_LOG_LEVEL="warning",
            EVALLEDGER_PG_ROW_SECURITY="true",
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


async def counters_match_results(ledger: Ledger) -> list[str]:
    """Agents whose counters differ from the sum of their current-epoch results."""
    r = CustodyTestResult.__table__.c
    a = AgentMetrics.__table__.c
    sums = (
        select(
            r.project_id,
            r.ai_type,
            func.count().label("given"),
            func.sum(func.cast(r.passed, AgentMetrics.__table__.c.xp.type)).label("passed"),
            func.sum(r.xp_awarded).label("xp"),
        )
        .join(AgentMetrics, (a.project_id == r.project_id) & (a.agent_type == r.ai_type))
        .where(r.agent_epoch == a.epoch)
        .group_by(r.project_id, r.ai_type)
        .subquery()
    )
    stmt = select(a.agent_type, a.total_tests_given, a.total_tests_passed, a.custody_xp, sums).join(
        sums, (sums.c.project_id == a.project_id) & (sums.c.ai_type == a.agent_type), isouter=True
    )
    bad = []
    async with ledger.db.engine.connect() as conn:
        for row in (await conn.execute(stmt)).mappings():
            given, passed, xp = row["given"] or 0, row["passed"] or 0, row["xp"] or 0
            if (row["total_tests_given"], row["total_tests_passed"], row["custody_xp"]) != (
                given,
                passed,
                xp,
            ):
                bad.append(f"{row['agent_type']}: counters {tuple(row)} vs results")
    return bad


async def test_sigkill_mid_write_leaves_whole_writes_only(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    url = seeded.settings.database_url
    port = free_port()
    proc = await _start(url, port)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    agents = ["guardian", "imperium", "sandbox", "conquest"]
    batches: list[list[str]] = []
    stop = asyncio.Event()
    written = {"singles": 0, "batches": 0}  # answered 2xx: stored before the kill

    async def single_writer(n: int) -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=5) as client:
            i = 0
            while not stop.is_set():
                body = {"id": str(uuid.uuid4()), "passed": i % 3 != 0, "score": 50, "xp_awarded": 2}
                try:
                    r = await client.post(
                        f"/api/agent-metrics/{agents[n % 4]}/custody-test", json=body
                    )
                except httpx.HTTPError:
                    return
                written["singles"] += r.is_success
                i += 1

    async def batch_writer() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
            while not stop.is_set():
                ids = [str(uuid.uuid4()) for _ in range(200)]
                batches.append(ids)
                items = [
                    {
                        "id": rid,
                        "agent_type": agents[j % 4],
                        "passed": True,
                        "score": 70,
                        "xp_awarded": 1,
                    }
                    for j, rid in enumerate(ids)
                ]
                try:
                    r = await client.post("/api/v1/custody-tests:batch", json={"results": items})
                except httpx.HTTPError:
                    return
                written["batches"] += r.is_success

    writers = [asyncio.create_task(single_writer(n)) for n in range(8)]
    writers += [asyncio.create_task(batch_writer()) for _ in range(2)]
    # Kill once writes are landing (whole batches and singles), however slow the machine:
    # the kill must fall in the middle of the stream, not before it started.
    for _ in range(600):
        if written["batches"] >= 2 and written["singles"] >= 20:
            break
        await asyncio.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    stop.set()
    await asyncio.gather(*writers, return_exceptions=True)

    # Restart on the same database: it comes back healthy and consistent.
    proc = await _start(url, port)
    try:
        assert await counters_match_results(seeded) == []
        report = await seeded.verify()  # `evalledger verify`: every integrity check passes
        assert report.healthy, [c for c in report.checks if c.issues]
        r = CustodyTestResult.__table__.c
        async with seeded.db.engine.connect() as conn:
            stored = set(str(x) for x in (await conn.execute(select(r.id))).scalars())
        complete = partial = 0
        for ids in batches:
            present = sum(rid in stored for rid in ids)
            if present == len(ids):
                complete += 1
            elif present:
                partial += 1
        assert partial == 0, f"{partial} batch(es) partly written"
        assert complete >= 1 and len(stored) > 0
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            after = await client.post(
                "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 1}
            )
            assert after.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=15)
