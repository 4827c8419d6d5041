"""The benchmark runner: ``python -m bench.run [--quick] [--write-docs] [--only NAME]``.

Builds its own data (a fresh SQLite file and a fresh PostgreSQL database ``evalledger_bench``,
both migrated with :mod:`evalledger.db.migrate`), runs every registered scenario in one
process, prints the figures and writes them, with the ratios the targets are about, to
``docs/benchmarks.md`` (full run) or ``bench/results-quick.md`` (``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import platform
import shlex
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import asyncpg

from bench import core
from bench.core import ROOT, Context, Figure

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
#: ``BENCH_PG_DB`` lets two benches share the server without dropping each other's database.
PG_DB = os.environ.get("BENCH_PG_DB", "evalledger_bench")

SIZES = {
    # name: (quick, full)
    "single": (2_000, 10_000),
    "rest": (1_500, 5_000),
    "batch": (20_000, 1_000_000),  # sizes 10,000 and x10 up to this (bench.core.growing_sizes)
    "seed": (500, 2_000),
    "rmw": (1_000, 2_000),
    "mlflow_batch": (20_000, 100_000),
    "analytics": (50_000, 1_000_000),
    "assessments": (20_000, 1_000_000),  # at 10,000 and x10 up to this; flat memory at any size
}


@dataclass
class Target:
    text: str
    kind: str  # "ratio>=", "value>=", "value<"
    num: str
    den: str | None
    goal: float


TARGETS = [
    Target("In-process single results, 16 writers, 1 agent ≥ 4x SELECT ... FOR UPDATE pattern "
           "(PG)", "ratio>=", "single.inproc.1.postgresql", "seed.forupdate.postgresql", 4),
    Target("Batch ingest with metric updates (PG) ≥ 50% of raw asyncpg COPY into a table with "
           "the same indexes", "ratio>=", "batch.inproc.postgresql",
           "batch.copy_indexed.postgresql", 0.5),
    Target("Batch ingest with metric updates (PG) ≥ 8x MLflow log_batch (PG)", "ratio>=",
           "batch.inproc.postgresql", "mlflow.log_batch.postgresql", 8),
    Target("SQLite batch ingest ≥ 50,000 results/s", "value>=", "batch.inproc.sqlite", None,
           50_000),
    Target("REST single result, 16 clients (PG, 1 agent) ≥ 3x MLflow server, fastest mode "
           "(16 clients)", "ratio>=", "rest.single.1.postgresql", "mlflow.server.fastest.16", 3),
    Target("REST single result, 16 clients (PG, 1 agent) ≥ 5x MLflow server, default mode "
           "(16 clients)", "ratio>=", "rest.single.1.postgresql", "mlflow.server.default.16", 5),
    Target("REST single result p99 < 30 ms (PG, 16 clients, 1 agent)", "p99<",
           "rest.single.1.postgresql", None, 30),
    Target("REST single result p99 < 30 ms (PG, 16 clients, 100 agents)", "p99<",
           "rest.single.100.postgresql", None, 30),
    Target("Analytics summary < 20 ms (PG)", "value<", "analytics.summary.postgresql", None, 20),
    Target("Analytics summary < 20 ms (SQLite)", "value<", "analytics.summary.sqlite", None, 20),
    Target("Leaderboard (xp) < 20 ms (PG)", "value<", "leaderboard.xp.postgresql", None, 20),
    Target("Leaderboard (xp) < 20 ms (SQLite)", "value<", "leaderboard.xp.sqlite", None, 20),
    Target("Leaderboard (elo, with events) < 20 ms (PG)", "value<", "leaderboard.elo.postgresql",
           None, 20),
    Target("Leaderboard (elo, with events) < 20 ms (SQLite)", "value<", "leaderboard.elo.sqlite",
           None, 20),
    Target("Leaderboard (bradley_terry, with events) < 20 ms (PG)", "value<",
           "leaderboard.bradley_terry.postgresql", None, 20),
    Target("Leaderboard (bradley_terry, with events) < 20 ms (SQLite)", "value<",
           "leaderboard.bradley_terry.sqlite", None, 20),
    Target("First leaderboard after an event (elo, 2,000 events, 100 rounds) < 100 ms (PG)",
           "value<", "leaderboard.elo.cold.postgresql", None, 100),
    Target("First leaderboard after an event (bradley_terry, 2,000 events, 100 rounds) "
           "< 100 ms (PG)", "value<", "leaderboard.bradley_terry.cold.postgresql", None, 100),
    Target("Assessments export (PG) ≥ 100,000 rows/s", "value>=",
           "assessments.export.postgresql", None, 100_000),
    Target("Assessments export (SQLite) ≥ 100,000 rows/s", "value>=",
           "assessments.export.sqlite", None, 100_000),
    Target("Assessments export peak RSS < 250 MB (PG)", "value<",
           "assessments.export_rss.postgresql", None, 250),
    Target("Assessments export peak RSS < 250 MB (SQLite)", "value<",
           "assessments.export_rss.sqlite", None, 250),
    Target("Assessments import (PG) ≥ 50,000 rows/s", "value>=",
           "assessments.import.postgresql", None, 50_000),
    Target("Assessments import (SQLite) ≥ 50,000 rows/s", "value>=",
           "assessments.import.sqlite", None, 50_000),
    Target("verify < 10 s on PostgreSQL", "value<", "assessments.verify.postgresql", None, 10),
]  # fmt: skip


def load_scenarios() -> None:
    import bench.scenarios as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"bench.scenarios.{info.name}")


async def fresh_databases(workdir: Path) -> tuple[str, str, str]:
    from evalledger.config import load_settings
    from evalledger.db import migrate
    from evalledger.db.engine import Database

    conn = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {PG_DB}")
    finally:
        await conn.close()
    pg_dsn = f"{PG_ADMIN}/{PG_DB}"
    pg_url = pg_dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    sqlite_path = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    sqlite_url = f"sqlite+aiosqlite:///{sqlite_path}"
    for url in (pg_url, sqlite_url):
        db = Database(load_settings(database_url=url))
        try:
            await migrate.upgrade(db)
        finally:
            await db.dispose()
    return pg_url, pg_dsn, sqlite_url


async def machine(pg_dsn: str) -> list[tuple[str, str]]:
    import sqlalchemy
    import uvicorn

    conn = await asyncpg.connect(pg_dsn)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return [
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU", cpu),
        ("Memory", mem),
        ("OS", platform.platform()),
        ("PostgreSQL", f"{pg_version} on 127.0.0.1 (loopback)"),
        ("Python", platform.python_version()),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("asyncpg", asyncpg.__version__),
        ("uvicorn", uvicorn.__version__),
    ]


def _fmt(v: float | None, digits: int = 0) -> str:
    if v is None:
        return ""
    return f"{v:,.{digits}f}"


def evaluate(figures: dict[str, Figure], t: Target) -> tuple[str, str, str]:
    """(measured, goal, verdict) for one target."""
    num = figures.get(t.num)
    den = figures.get(t.den) if t.den else None
    if num is None or (t.den and den is None):
        return "not measured", "", "not measured in this run"
    if t.kind == "ratio>=":
        assert den is not None
        r = num.value / den.value
        verdict = "met" if r >= t.goal else f"missed by {(1 - r / t.goal) * 100:.0f}%"
        return f"{r:.2f}x ({num.value:,.0f} / {den.value:,.0f})", f"≥ {t.goal:g}x", verdict
    if t.kind == "value>=":
        verdict = (
            "met" if num.value >= t.goal else f"missed by {(1 - num.value / t.goal) * 100:.0f}%"
        )
        return f"{num.value:,.0f} {num.unit}", f"≥ {t.goal:,.0f}", verdict
    value = num.p99_ms if t.kind == "p99<" else num.value
    assert value is not None
    verdict = "met" if value < t.goal else f"missed: {value / t.goal:.1f}x the limit"
    unit = "ms" if t.kind == "p99<" or num.unit.startswith("ms") else num.unit
    return f"{value:,.1f} {unit}", f"< {t.goal:g} {unit}", verdict


def report(
    args: argparse.Namespace,
    facts: list[tuple[str, str]],
    figures: list[Figure],
    failures: list[tuple[str, str]],
    skipped: list[str],
    elapsed: float,
    extra: dict,
) -> str:
    by_key = {f.key: f for f in figures}
    lines = [
        "# Benchmarks",
        "",
        f"Latest {'quick' if args.quick else 'full'} run: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
        f", {elapsed / 60:.1f} minutes. Command:",
        "",
        "```",
        "make bench" if not args.quick else "make bench-quick",
        f"# i.e. {shlex.join([Path(sys.executable).name, '-m', 'bench.run', *sys.argv[1:]])}",
        "```",
        "",
        "Every figure below comes from this one run, on the same machine and the same "
        "databases (a fresh PostgreSQL database `evalledger_bench` and a fresh SQLite file, "
        "both migrated with `evalledger.db.migrate`). Absolute figures drift up to 2x between "
        "runs on a shared machine; the ratios are what the targets are about.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in facts),
    ]
    if "mlflow_version" in extra:
        lines.append(f"| MLflow (bench venv only) | {extra['mlflow_version']} |")
    lines += [
        "",
        "## Targets (issue #20)",
        "",
        "| Target | Measured | Goal | Verdict |",
        "|---|---|---|---|",
    ]
    for t in TARGETS:
        measured, goal, verdict = evaluate(by_key, t)
        lines.append(f"| {t.text} | {measured} | {goal} | {verdict} |")
    lost = {k: v for k, v in extra.items() if k.startswith("lost.")}
    if lost:
        lines += [
            "",
            "Lost updates (counter delta vs. results sent): "
            + ", ".join(f"`{k[5:]}` {v}" for k, v in sorted(lost.items())),
        ]
    lines += [
        "",
        "## Figures",
        "",
        "| Scenario | Backend | Throughput | p50 ms | p99 ms | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.label} | {f.backend} | {_fmt(f.value, 1 if f.value < 100 else 0)} {f.unit} "
            f"| {_fmt(f.p50_ms, 1)} | {_fmt(f.p99_ms, 1)} | {f.note} |"
        )
    if skipped:
        lines += ["", "Skipped: " + "; ".join(skipped)]
    if failures:
        lines += ["", "## Scenarios that failed in this run", ""]
        for name, err in failures:
            lines += [f"- **{name}**: `{err.strip().splitlines()[-1][:300]}`"]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


async def settle(pg_dsn: str) -> None:
    """Start each scenario from a clean PostgreSQL: ``CHECKPOINT`` flushes what the previous
    one wrote, so its checkpoint does not land in the next one's timing (in the 2026-11-22
    08:05 run, batch ingest measured 9,100 results/s right after the COPY scenarios' 600,000
    rows, 20,700 alone)."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    load_scenarios()
    workdir = Path(tempfile.mkdtemp(prefix="evalledger-bench-"))
    pg_url, pg_dsn, sqlite_url = await fresh_databases(workdir)
    mlflow_python = ROOT / ".venv-bench" / "bin" / "python"
    have_mlflow = mlflow_python.exists() and (ROOT / ".venv-bench" / ".installed").exists()
    ctx = Context(
        quick=args.quick, pg_url=pg_url, pg_dsn=pg_dsn, sqlite_url=sqlite_url, workdir=workdir,
        mlflow_python=mlflow_python if have_mlflow else None,
        n={k: v[0] if args.quick else v[1] for k, v in SIZES.items()},
    )  # fmt: skip
    facts = await machine(pg_dsn)
    print(f"bench ({'quick' if args.quick else 'full'}); work dir {workdir}")
    for k, v in facts:
        print(f"  {k}: {v}")
    figures: list[Figure] = []
    failures: list[tuple[str, str]] = []
    skipped: list[str] = []
    for sc in sorted(core.REGISTRY, key=lambda s: s.order):
        if args.only and not any(o in sc.name for o in args.only):
            continue
        if sc.needs_mlflow and not have_mlflow:
            msg = f"{sc.name}: MLflow bench venv .venv-bench absent (run `make bench` to build it)"
            print(f"- SKIPPED {msg}")
            skipped.append(msg)
            continue
        print(f"- {sc.name} ...", flush=True)
        await settle(pg_dsn)
        t0 = time.perf_counter()
        try:
            got = await sc.fn(ctx)
        except Exception:
            err = traceback.format_exc()
            print(err)
            failures.append((sc.name, err))
            continue
        for f in got:
            p = f"  p50 {f.p50_ms:.1f} ms  p99 {f.p99_ms:.1f} ms" if f.p99_ms is not None else ""
            print(f"    {f.label} [{f.backend}]: {f.value:,.1f} {f.unit}{p}  {f.note}")
        print(f"    ({time.perf_counter() - t0:.0f}s)")
        figures.extend(got)
    elapsed = time.perf_counter() - started
    text = report(args, facts, figures, failures, skipped, elapsed, ctx.shared)
    out = ROOT / ("docs/benchmarks.md" if not args.quick or args.write_docs else
                  "bench/results-quick.md")  # fmt: skip
    out.write_text(text)
    print()
    by_key = {f.key: f for f in figures}
    for t in TARGETS:
        measured, goal, verdict = evaluate(by_key, t)
        print(f"  [{verdict}] {t.text}: {measured} (goal {goal})")
    print(f"\nwrote {out.relative_to(ROOT)} in {elapsed:.0f}s")
    return 0


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized run (< 5 minutes)")
    parser.add_argument("--write-docs", action="store_true", help="quick run writes docs too")
    parser.add_argument("--only", action="append", help="run scenarios whose name contains this")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args)))


if __name__ == "__main__":
    cli()
