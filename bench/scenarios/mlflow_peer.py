"""MLflow as the peer: ``log_batch`` on PostgreSQL and SQLite, and its tracking server.

MLflow lives only in the bench venv (``.venv-bench``); this module drives it through
subprocesses, so the project never imports it. Skipped when that venv is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench.core import ROOT, Context, Figure, rate_figure, scenario
from bench.servers import free_port, hammer, server

#: ``BENCH_PG_DB`` (bench/run.py) names this one too: ``<it>_mlflow``.
MLFLOW_DB = f"{os.environ['BENCH_PG_DB']}_mlflow" if "BENCH_PG_DB" in os.environ else "mlflow_bench"


async def _fresh_pg(ctx: Context) -> str:
    admin = ctx.pg_dsn.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {MLFLOW_DB} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {MLFLOW_DB}")
    finally:
        await conn.close()
    # SQLAlchemy 2.1 (in the bench venv) reads postgresql:// as psycopg 3; MLflow ships psycopg2.
    return (
        admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + f"/{MLFLOW_DB}"
    )


def _stores(ctx: Context, pg: str) -> dict[str, str]:
    sqlite = ctx.workdir / f"mlflow-{uuid.uuid4().hex[:6]}.db"
    return {"postgresql": pg, "sqlite": f"sqlite:///{sqlite}"}


async def _run(*argv: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err.decode()[-2000:])
    return out.decode()


@scenario("MLflow log_batch", order=70, needs_mlflow=True)
async def mlflow_log_batch(ctx: Context) -> list[Figure]:
    assert ctx.mlflow_python is not None
    pg = await _fresh_pg(ctx)
    figures = []
    for backend, uri in _stores(ctx, pg).items():
        # A first call creates the schema (MLflow migrates on first use): not timed.
        await _run(str(ctx.mlflow_python), str(ROOT / "bench" / "mlflow_worker.py"), uri, "10")
        out = await _run(
            str(ctx.mlflow_python), str(ROOT / "bench" / "mlflow_worker.py"), uri,
            str(ctx.n["mlflow_batch"]),
        )  # fmt: skip
        data = json.loads(out.strip().splitlines()[-1])
        ctx.shared["mlflow_version"] = data["version"]
        figures.append(
            rate_figure(
                f"mlflow.log_batch.{backend}",
                f"MLflow {data['version']} log_batch, 1000 metrics per call",
                backend,
                data["values"],
                data["seconds"],
                "values/s",
            )
        )
    return figures


def _mlflow_exe(ctx: Context) -> str:
    assert ctx.mlflow_python is not None
    return str(Path(ctx.mlflow_python).with_name("mlflow"))


@scenario("MLflow tracking server", order=71, needs_mlflow=True)
async def mlflow_server(ctx: Context) -> list[Figure]:
    pg = await _fresh_pg(ctx)
    figures = []
    total = ctx.n["rest"]
    workers = 4
    modes = {
        "default": [],
        "fastest": ["--workers", str(workers), "--gunicorn-opts", "--keep-alive=30"],
    }
    for mode, extra in modes.items():
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [_mlflow_exe(ctx), "server", "--host", "127.0.0.1", "--port", str(port),
                "--backend-store-uri", pg, "--default-artifact-root",
                str(ctx.workdir / "mlruns"), *extra]  # fmt: skip
        with server(argv, f"{base}/health", log=ctx.workdir / f"mlflow-{mode}.log"):
            async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                r = await c.post(
                    "/api/2.0/mlflow/experiments/create",
                    json={"name": f"bench-{mode}-{time.time()}"},
                )
                r.raise_for_status()
                experiment = r.json()["experiment_id"]
                runs = []
                for _ in range(16):
                    r = await c.post(
                        "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment}
                    )
                    r.raise_for_status()
                    runs.append(r.json()["run"]["info"]["run_id"])
            for clients in (8, 16):

                def request(w: int, i: int, runs: list[str] = runs) -> tuple:
                    body = {"run_id": runs[w], "key": "accuracy", "value": 0.5 + (i % 50) / 100,
                            "timestamp": int(time.time() * 1000), "step": i + 1}  # fmt: skip
                    return "POST", "/api/2.0/mlflow/runs/log-metric", body

                secs, lat, errors = await hammer(base, clients, total, request)
                figures.append(
                    rate_figure(
                        f"mlflow.server.{mode}.{clients}",
                        f"MLflow tracking server, {mode} mode, {clients} clients, log-metric",
                        "postgresql",
                        total,
                        secs,
                        "req/s",
                        lat,
                        note=(
                            "uvicorn, 1 worker"
                            if mode == "default"
                            else f"gunicorn, {workers} workers"
                        )
                        + f"; errors: {errors}",
                    )
                )
    return figures
