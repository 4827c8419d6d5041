"""Assessments at size: export, import into an empty database, and ``verify``.

Fills ``ctx.n["assessments"]`` assessments with 4.6 evidence rows each on average (60% have 5,
40% have 4) through the repositories' bulk path (``Repository.bulk_insert``: SQLAlchemy
executemany, one transaction per chunk), spread over 2,000 students (quick: 400). Then, per
backend:

- **export**: ``Ledger.export_assessments`` to a file, run in a subprocess (``python -m
  bench.scenarios.assessments export URL FILE``) so its peak RSS (``VmHWM``) is the
  export's own, not the bench's. Rows/s counts assessments + evidence rows written, over the
  ``export_assessments`` call alone (not the interpreter start).
- **import**: ``Ledger.import_assessments`` of that file into an empty, freshly migrated
  database (PostgreSQL ``evalledger_bench_import``, or a new SQLite file), in a subprocess too;
  rows/s over the call (which streams the file: reading and validating a batch at a time
  while the previous one is written), and its peak RSS.
  Batch size: the CLI's default (``importer.DEFAULT_BATCH_SIZE``).
- **verify**: ``Ledger.verify()`` in the bench process on the filled bench database (which also
  holds the other scenarios' results: 1,000,000 agent results in a full run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.core import ROOT, Context, Figure, growing_sizes, growth_note, scenario
from bench.scenarios._common import BACKENDS, open_ledger

CHUNK = 20_000  # assessments per fill transaction
SKILLS = ("empathy", "problem_solving", "self_regulation", "resilience", "adaptability")
EVIDENCE_TYPES = ("linguistic", "behavioral", "contextual")
IMPORT_DB = "evalledger_bench_import"


def _students(n: int, start: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.UUID(int=(1 << 64) + i),
            "name": f"bench student {i}",
            "external_id": f"bench-{i}",
            "metadata": {"cohort": i % 7},
            "created_at": start,
            "updated_at": start,
        }
        for i in range(n)
    ]


def _chunk(
    rng: random.Random, first: int, n: int, students: list[uuid.UUID], start: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assessments: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for i in range(first, first + n):
        aid = uuid.UUID(int=(2 << 64) + i)
        at = start + timedelta(seconds=i)
        assessments.append(
            {
                "id": aid,
                "student_id": students[i % len(students)],
                "skill_type": SKILLS[i % len(SKILLS)],
                "score": round(rng.random(), 4),
                "confidence": round(rng.random(), 4),
                "reasoning": "Responded calmly and named the peer's feelings before proposing "
                "a plan.",
                "recommendations": "Practise reflective listening in group work.",
                "feature_importance": {"tone": 0.4, "word_choice": 0.35, "context": 0.25},
                "created_at": at,
                "updated_at": at,
            }
        )
        for j in range(5 if rng.random() < 0.6 else 4):
            evidence.append(
                {
                    "id": uuid.UUID(int=(3 << 64) + i * 8 + j),
                    "assessment_id": aid,
                    "evidence_type": EVIDENCE_TYPES[j % 3],
                    "source": "transcript",
                    "content": f"Excerpt {j}: 'I can see this is hard for you; let's try again.'",
                    "relevance_score": round(rng.random(), 4),
                    "created_at": at,
                    "updated_at": at,
                }
            )
    return assessments, evidence


async def _counts(ledger: Any) -> tuple[int, int]:
    from evalledger.assessments.repository import assessments_t, evidence_t

    async with ledger._read() as uow:
        a = (await uow.session.execute(select(func.count()).select_from(assessments_t))).scalar()
        e = (await uow.session.execute(select(func.count()).select_from(evidence_t))).scalar()
    return int(a or 0), int(e or 0)


async def fill(ledger: Any, target: int, n_students: int) -> tuple[int, int, float]:
    """Bring the assessments table to ``target`` rows; (assessments, evidence, seconds)."""
    from evalledger.assessments.repository import (
        AssessmentRepository,
        EvidenceRepository,
        StudentRepository,
        assessments_t,
        evidence_t,
        students_t,
    )
    from evalledger.db.bulk import analyze

    started = time.perf_counter()
    have, _ = await _counts(ledger)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    students = _students(n_students, start)
    if have == 0:
        async with ledger._write() as uow:
            await StudentRepository(uow).bulk_insert(students)
    ids = [s["id"] for s in students]
    rng = random.Random(7)
    while have < target:
        n = min(CHUNK, target - have)
        assessments, evidence = _chunk(rng, have, n, ids, start)
        async with ledger._write() as uow:
            await AssessmentRepository(uow).bulk_insert(assessments)
            await EvidenceRepository(uow).bulk_insert(evidence)
        have += n
    # A database that grew to this size would have been analyzed by autovacuum; a bulk fill
    # leaves the statistics of the empty tables (see evalledger.db.dialect.analyze).
    async with ledger.db.write_connection() as conn:
        await analyze(conn, (students_t, assessments_t, evidence_t))
    a, e = await _counts(ledger)
    return a, e, time.perf_counter() - started


def _in_subprocess(*args: str) -> dict[str, Any]:
    env_path = f"{ROOT / 'src'}:{ROOT}"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.assessments", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": env_path},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess {args[0]} failed:\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


async def _empty_database(ctx: Context, backend: str) -> str:
    """A fresh, migrated, empty database for the import; its SQLAlchemy URL."""
    import asyncpg

    from evalledger.config import load_settings
    from evalledger.db import migrate
    from evalledger.db.engine import Database

    if backend == "postgresql":
        admin = ctx.pg_dsn.rsplit("/", 1)[0]
        conn = await asyncpg.connect(f"{admin}/postgres")
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {IMPORT_DB} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {IMPORT_DB}")
        finally:
            await conn.close()
        url = ctx.pg_url.rsplit("/", 1)[0] + f"/{IMPORT_DB}"
    else:
        path = ctx.workdir / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    db = Database(load_settings(database_url=url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    return url


async def _drop_import_database(ctx: Context) -> None:
    import asyncpg

    admin = ctx.pg_dsn.rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{admin}/postgres")
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {IMPORT_DB} WITH (FORCE)")
    finally:
        await conn.close()


@scenario("assessments export / import / verify at size", order=70)
async def assessments(ctx: Context) -> list[Figure]:
    """Per backend, at each size (10,000, then x10 up to ``ctx.n["assessments"]``): fill
    the bench database up to it, then export, import and verify. The largest size's figures
    carry the targets' keys; the smaller ones are suffixed with their size, and every note
    gives the rate relative to the size before, so a path whose cost grows faster than the
    data shows itself in one run."""
    figures: list[Figure] = []
    n_students = 400 if ctx.quick else 2_000
    sizes = growing_sizes(ctx.n["assessments"])
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        previous: dict[str, float] = {}
        try:
            for size in sizes:
                suffix = "" if size == sizes[-1] else f".{size}"
                got = await _at_size(ctx, ledger, backend, size, n_students, previous)
                figures += [replace(f, key=f.key + suffix) for f in got]
        finally:
            await ledger.close()
    return figures


async def _at_size(
    ctx: Context,
    ledger: Any,
    backend: str,
    size: int,
    n_students: int,
    previous: dict[str, float],
) -> list[Figure]:
    n_a, n_e, fill_s = await fill(ledger, size, n_students)
    rows = n_a + n_e
    size_note = f"{n_a:,} assessments + {n_e:,} evidence = {rows:,} rows"
    print(f"    [{backend}] filled {size_note} in {fill_s:.0f}s", flush=True)

    def growth(name: str, rate: float) -> str:
        note = growth_note(rate, previous.get(name))
        previous[name] = rate
        return note

    out = ctx.workdir / f"assessments-{backend}.json"
    exp = await asyncio.to_thread(_in_subprocess, "export", ctx.url(backend), str(out))
    mb = out.stat().st_size / 1e6
    export_rate = rows / exp["seconds"]
    figures = [
        Figure(
            f"assessments.export.{backend}",
            f"export_assessments to a file, {n_a:,} assessments with evidence",
            backend,
            export_rate,
            "rows/s",
            note=f"{size_note}; {exp['seconds']:.1f}s; peak RSS {exp['rss_mb']:.0f} MB "
            f"(subprocess); file {mb:,.0f} MB; filled in {fill_s:.0f}s"
            + growth("export", export_rate),
        ),
        Figure(
            f"assessments.export_rss.{backend}",
            f"export_assessments peak RSS (subprocess, VmHWM), {n_a:,} assessments",
            backend,
            exp["rss_mb"],
            "MB",
            note=f"idle interpreter with evalledger imported: {exp['base_mb']:.0f} MB",
        ),
    ]
    dest = await _empty_database(ctx, backend)
    imp = await asyncio.to_thread(_in_subprocess, "import", dest, str(out))
    import_rate = rows / imp["seconds"]
    figures += [
        Figure(
            f"assessments.import.{backend}",
            f"import_assessments of that file ({n_a:,} assessments) into an empty database "
            f"(batches of {imp['batch_size']})",
            backend,
            import_rate,
            "rows/s",
            note=f"{imp['imported']:,} assessments imported; {imp['seconds']:.1f}s, "
            f"file streamed (read and validated a batch at a time); peak RSS "
            f"{imp['rss_mb']:,.0f} MB (subprocess)" + growth("import", import_rate),
        ),
        Figure(
            f"assessments.import_rss.{backend}",
            f"import_assessments peak RSS (subprocess, VmHWM), {n_a:,} assessments",
            backend,
            imp["rss_mb"],
            "MB",
            note=f"idle interpreter with evalledger imported: {imp['base_mb']:.0f} MB",
        ),
    ]
    if backend == "postgresql":
        await _drop_import_database(ctx)
    out.unlink(missing_ok=True)
    await ledger.verify()  # warm (catalog, caches) once
    t0 = time.perf_counter()
    report = await ledger.verify()
    seconds = time.perf_counter() - t0
    cost = growth("verify", 1 / seconds).replace("rate", "speed")
    figures.append(
        Figure(
            f"assessments.verify.{backend}",
            f"verify (every check) on the bench database, {n_a:,} assessments",
            backend,
            seconds,
            "s",
            note=f"{size_note}, plus the other scenarios' agent results; second of two "
            f"runs; issues {getattr(report, 'issues', '?')}" + cost,
        )
    )
    return figures


# -- subprocess side ----------------------------------------------------------------------


def _rss_mb() -> float:
    """Peak RSS of this process (``VmHWM``), in MB.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries the high-water mark of the
    address space an ``execve`` replaced into ``ru_maxrss``, so a subprocess forked from the
    bench would report at least the bench's own RSS at fork time. ``VmHWM`` is the current
    address space's alone.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


async def _export(url: str, path: str) -> dict[str, Any]:
    from evalledger.sdk.ledger import Ledger

    ledger = await Ledger.open(url)
    try:
        base = _rss_mb()
        t0 = time.perf_counter()
        res = await ledger.export_assessments(path)
        seconds = time.perf_counter() - t0
    finally:
        await ledger.close()
    return {
        "seconds": seconds,
        "assessments": res.total_assessments,
        "rss_mb": _rss_mb(),
        "base_mb": base,
    }


async def _import(url: str, path: str) -> dict[str, Any]:
    from evalledger.assessments import importer
    from evalledger.sdk.ledger import Ledger

    ledger = await Ledger.open(url)
    try:
        base = _rss_mb()
        t0 = time.perf_counter()
        res = await ledger.import_assessments(path)  # streamed: read while writing
        seconds = time.perf_counter() - t0
    finally:
        await ledger.close()
    return {
        "seconds": seconds,
        "base_mb": base,
        "imported": res.imported,
        "batch_size": importer.DEFAULT_BATCH_SIZE,
        "rss_mb": _rss_mb(),
    }


if __name__ == "__main__":
    mode, url, path = sys.argv[1:4]
    fn = _export if mode == "export" else _import
    print(json.dumps(asyncio.run(fn(url, path))))
