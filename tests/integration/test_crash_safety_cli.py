"""SIGKILL ``assessments import`` and ``backup restore`` midway: a re-run completes them.

Each command runs as a real CLI process on a file large enough to take a while (3,000
assessments with evidence); it is killed without warning as soon as its first rows are
committed. Running the same command again (``--skip-duplicates`` for the import, ``--force``
for the restore) finishes the job, and ``evalledger verify`` finds nothing wrong.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import func, select, text

from evalledger.assessments.models import SkillAssessment
from evalledger.ops import backup as backups
from evalledger.ops.backup import sqlite_path
from evalledger.sdk.ledger import Ledger
from tests.conftest import reset_tables
from tests.integration.test_assessments_transfer import _synthetic
from tests.integration.test_server_and_clients import _env

N = 3000


async def _count(ledger: Ledger) -> int:
    async with ledger.db.engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(SkillAssessment))).scalar_one()
        )


async def _cli(url: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evalledger.cli.main",
        *args,
        env=_env(EVALLEDGER_DATABASE_URL=url, EVALLEDGER_PG_ROW_SECURITY="true"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _kill_after_first_rows(ledger: Ledger, proc: asyncio.subprocess.Process) -> int:
    """SIGKILL ``proc`` once some (not all) assessments are committed; returns that count."""
    for _ in range(3000):
        seen = await _count(ledger)
        if seen > 0 or proc.returncode is not None:
            break
        await asyncio.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    return await _count(ledger)


async def _healthy(ledger: Ledger) -> None:
    report = await ledger.verify()
    assert report.healthy, [c for c in report.checks if c.issues]


async def test_killed_import_is_completed_by_a_rerun(ledger: Ledger, tmp_path: Path) -> None:
    student = await ledger.create_student({"name": "Ann"})
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_synthetic(N, str(student.id))))
    url = ledger.settings.database_url
    args = ("assessments", "import", "--input", str(path), "--batch-size", "100")

    proc = await _cli(url, *args)
    at_kill = await _kill_after_first_rows(ledger, proc)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < at_kill < N, f"killed with {at_kill} of {N} imported: make the file larger"
    assert at_kill % 100 == 0, "a batch is one transaction: never part of one"
    await _healthy(ledger)

    again = await _cli(url, *args, "--skip-duplicates")
    _, err = await again.communicate()
    assert again.returncode == 0, err.decode()[-2000:]
    assert await _count(ledger) == N
    await _healthy(ledger)


async def test_killed_restore_is_completed_by_a_rerun_with_force(
    ledger: Ledger, tmp_path: Path
) -> None:
    student = await ledger.create_student({"name": "Ann"})
    await ledger.import_assessments(_backup(tmp_path, N, str(student.id)))
    archive = await backups.create(ledger.db, tmp_path / "backups")
    await reset_tables(ledger.db)
    url = ledger.settings.database_url

    # The restore is one transaction: kill it while that transaction is writing.
    proc = await _cli(url, "backup", "restore", str(archive), "--force")
    for _ in range(3000):
        if proc.returncode is not None or await _writing(ledger):
            break
        await asyncio.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert await _count(ledger) == 0, "a killed restore leaves nothing half-restored"

    again = await _cli(url, "backup", "restore", str(archive), "--force")
    _, err = await again.communicate()
    assert again.returncode == 0, err.decode()[-2000:]
    assert await _count(ledger) == N
    await _healthy(ledger)


async def _writing(ledger: Ledger) -> bool:
    """Whether another connection is inside a write transaction right now."""
    if ledger.db.is_postgres:
        async with ledger.db.engine.connect() as conn:
            busy = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            )
            return bool(busy.scalar_one())
    probe = sqlite3.connect(str(sqlite_path(ledger.db)), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True  # locked: the other process holds the write lock
    finally:
        probe.close()


def _backup(tmp_path: Path, n: int, student_id: str) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(_synthetic(n, student_id)))
    return path
