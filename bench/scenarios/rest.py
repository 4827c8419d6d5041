"""evalledger over REST: a real ``evalledger serve`` subprocess, 16 concurrent httpx clients."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from bench.core import ROOT, Context, Figure, rate_figure, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result
from bench.servers import free_port, hammer, server
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork

CLIENTS = 16
BATCH = 5000
#: Server worker processes for `evalledger serve` (override: BENCH_SERVE_WORKERS). One worker
#: groups every concurrent request into one transaction; on 2 cores shared with the load
#: generator and PostgreSQL, 2 workers measured ~12% slower (two groups contend on the row).
WORKERS = int(os.environ.get("BENCH_SERVE_WORKERS", "1"))


async def _key(url: str) -> str:
    ledger = await open_ledger(url)
    try:
        async with UnitOfWork(ledger.db) as uow:
            created = await tenancy.create_key(
                uow, name=f"bench-{random.getrandbits(32):x}", scope="write", project="default"
            )
        return created.secret
    finally:
        await ledger.close()


def _serve_argv(port: int, workers: int) -> list[str]:
    exe = Path(sys.executable).with_name("evalledger")
    return [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
            str(workers)]  # fmt: skip


@scenario("REST single results and batches", order=40)
async def rest(ctx: Context) -> list[Figure]:
    figures = []
    total = ctx.n["rest"]
    for backend in BACKENDS:
        workers = WORKERS if backend == "postgresql" else 1  # SQLite has one writer anyway
        ledger = await open_ledger(ctx.url(backend))
        one = ["rest-one"]
        many = [f"rest-{i:03d}" for i in range(100)]
        await ensure_agents(ledger, one + many + [f"batch-{i:03d}" for i in range(100)])
        await ledger.close()
        secret = await _key(ctx.url(backend))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "EVALLEDGER_DATABASE_URL": ctx.url(backend),
            "EVALLEDGER_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT / "src"),  # this checkout's code, whatever the venv holds
        }
        log = ctx.workdir / f"serve-{backend}.log"
        with server(_serve_argv(port, workers), f"{base}/health", env, log):
            for agents in (one, many):
                rng = random.Random(len(agents))

                def request(
                    w: int, i: int, agents: list[str] = agents, rng: random.Random = rng
                ) -> tuple:
                    agent = agents[rng.randrange(len(agents))]
                    return "POST", f"/api/agent-metrics/{agent}/custody-test", result(rng)

                secs, lat, errors = await hammer(
                    base, CLIENTS, total, request, {"Authorization": f"Bearer {secret}"}
                )
                n = len(agents)
                figures.append(
                    rate_figure(
                        f"rest.single.{n}.{backend}",
                        f"evalledger REST single result, {CLIENTS} clients, {n} agent"
                        + ("s" if n > 1 else ""),
                        backend,
                        total,
                        secs,
                        "req/s",
                        lat,
                        note=f"{workers} server worker(s); errors: {errors}",
                    )
                )
            # Batches over REST: 4 clients, each posting batches of BATCH results.
            batches = max(4, ctx.n["batch"] // BATCH // 2)
            rng = random.Random(7)

            def batch_request(w: int, i: int, rng: random.Random = rng) -> tuple:
                rows = [
                    {**result(rng), "agent_type": f"batch-{rng.randrange(100):03d}"}
                    for _ in range(BATCH)
                ]
                return "POST", "/api/v1/custody-tests:batch", {"results": rows}

            secs, lat, errors = await hammer(
                base, 2, batches, batch_request, {"Authorization": f"Bearer {secret}"}
            )
            figures.append(
                rate_figure(
                    f"rest.batch.{backend}",
                    f"evalledger REST batch ingest, 2 clients, batches of {BATCH}",
                    backend,
                    batches * BATCH,
                    secs,
                    "results/s",
                    note=f"errors: {errors}; includes client-side JSON encoding",
                )
            )
    return figures
