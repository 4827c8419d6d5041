"""The ``evalledger`` command run for real, in a subprocess, against one database.

Tests that need what a user sees (the exit code, stdout, stderr as the shell gets them, no
CliRunner in between) run the CLI through :func:`run_cli`.
"""

from __future__ import annotations

import asyncio
import sys

from tests.integration.test_server_and_clients import _env


async def run_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    """``evalledger ARGS`` on ``database_url`` at 80 columns: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evalledger.cli.main",
        *args,
        env=_env(EVALLEDGER_DATABASE_URL=database_url, COLUMNS="80"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
