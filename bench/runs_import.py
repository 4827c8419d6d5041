"""Importing a harness log at size: ``python -m bench.runs_import [--samples N ...]``.

For each size (default 10,000 and 100,000 samples) it takes the Inspect AI ``.eval`` log
``bench/.data/inspect-<N>.eval`` (written by the real harness with
``bench/harness/make_inspect_log.py``, beyond 10,000 samples grown from its 10,000-sample run;
generated here if missing) and measures, each in its
own subprocess so that its peak RSS (``ru_maxrss``) is its own:

* ``inspect_ai.log.read_eval_log(path)``: Inspect merely reading the file into memory (run
  with the harness's interpreter, ``.venv-harness``; evalledger never imports Inspect);
* ``Ledger.import_run(path)`` into a fresh, migrated SQLite file and a fresh PostgreSQL
  database (``evalledger_bench_import``, dropped afterwards): wall time, samples/s, peak RSS.

Times are of the call alone (interpreter start, imports and migrations excluded); each child
also reports the RSS it had just before the call, so the growth is visible. Prints a table
with the ratios to ``read_eval_log`` and between the sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
HARNESS_PYTHON = Path(os.environ.get("HARNESS_PYTHON", ROOT / ".venv-harness" / "bin" / "python"))
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DB = "evalledger_bench_import"

READER = """
import json, resource, sys, time
from inspect_ai.log import read_eval_log
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t, c = time.perf_counter(), time.process_time()
log = read_eval_log(sys.argv[1])
took, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"seconds": took, "cpu_seconds": cpu, "samples": len(log.samples or []),
                  "rss_before_kb": before,
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _child_import(url: str, path: str) -> dict[str, Any]:
    from evalledger.sdk.ledger import Ledger

    async with Ledger.open(url) as ledger:
        before = _peak_kb()
        started, cpu = time.perf_counter(), time.process_time()
        recorded = await ledger.import_run(path)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": took,
        "cpu_seconds": cpu,
        "samples": sum(r.samples_written for r in recorded),
        "rss_before_kb": before,
        "peak_rss_kb": _peak_kb(),
    }


async def _migrate(url: str) -> None:
    from evalledger.config import load_settings
    from evalledger.db import migrate
    from evalledger.db.engine import Database

    db = Database(load_settings(database_url=url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


async def _fresh_pg() -> str:
    import asyncpg

    admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        await admin.execute(f"CREATE DATABASE {PG_DB}")
    finally:
        await admin.close()
    host = PG_ADMIN.removeprefix("postgresql://")
    url = f"postgresql+asyncpg://{host}/{PG_DB}"
    await _migrate(url)
    return url


async def _drop_pg() -> None:
    import asyncpg

    admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
    finally:
        await admin.close()


def _run_child(argv: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _log_for(samples: int) -> Path:
    """The log of ``samples`` samples: run with Inspect up to 10,000, grown from the real
    10,000-sample run beyond (see ``bench/harness/make_inspect_log.py``)."""
    path = DATA / f"inspect-{samples}.eval"
    if path.exists():
        return path
    grow = [] if samples <= 10_000 else ["--from", str(_log_for(10_000))]
    print(f"writing {path} with inspect_ai ...", flush=True)
    subprocess.run(
        [
            str(HARNESS_PYTHON),
            str(ROOT / "bench/harness/make_inspect_log.py"),
            "--samples",
            str(samples),
            "--out",
            str(path),
            *grow,
        ],
        check=True,
    )
    return path


def _measure(samples: int, backends: list[str]) -> dict[str, dict[str, Any]]:
    path = _log_for(samples)
    out = {"read_eval_log": _run_child([str(HARNESS_PYTHON), "-c", READER, str(path)])}
    me = [sys.executable, "-m", "bench.runs_import", "child-import"]
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                asyncio.run(_migrate(url))
                out["sqlite"] = _run_child([*me, url, str(path)])
        else:
            url = asyncio.run(_fresh_pg())
            try:
                out["postgresql"] = _run_child([*me, url, str(path)])
            finally:
                asyncio.run(_drop_pg())
    for name, row in out.items():
        if row["samples"] != samples:
            raise SystemExit(f"{name} saw {row['samples']} samples, not {samples}")
    return out


def _report(results: dict[int, dict[str, dict[str, Any]]]) -> str:
    lines = [
        "| samples | what | seconds | samples/s | x read_eval_log time | CPU s (this process) "
        "| RSS before (MB) | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for samples, by in results.items():
        base = by["read_eval_log"]["seconds"]
        for name, row in by.items():
            lines.append(
                f"| {samples:,} | {name} | {row['seconds']:.2f} | {samples / row['seconds']:,.0f} "
                f"| {row['seconds'] / base:.2f} | {row['cpu_seconds']:.2f} "
                f"| {row['rss_before_kb'] / 1024:.0f} "
                f"| {row['peak_rss_kb'] / 1024:.0f} |"
            )
    sizes = sorted(results)
    for small, big in itertools.pairwise(sizes):
        lines.append("")
        lines.append(f"Growth from {small:,} to {big:,} samples ({big / small:.0f}x the samples):")
        for name in results[big]:
            a, b = results[small][name], results[big][name]
            lines.append(
                f"- {name}: time x{b['seconds'] / a['seconds']:.1f}, "
                f"CPU x{b['cpu_seconds'] / a['cpu_seconds']:.1f}, peak RSS "
                f"{a['peak_rss_kb'] / 1024:.0f} -> {b['peak_rss_kb'] / 1024:.0f} MB"
            )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child-import":
        print(json.dumps(asyncio.run(_child_import(sys.argv[2], sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, action="append", help="sizes (repeatable)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    sizes = args.samples or [10_000, 100_000]
    backends = args.backend or ["sqlite", "postgresql"]
    results = {n: _measure(n, backends) for n in sizes}
    load = os.getloadavg()
    print(_report(results))
    print(f"\n1-minute load average at the end: {load[0]:.1f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
