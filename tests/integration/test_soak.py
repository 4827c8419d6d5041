"""A shortened soak: mixed load from a second process, zero errors, flat server memory.

``EVALLEDGER_SOAK_SECONDS`` sets the length (default 12 s in the suite; `make soak` runs two
minutes and prints the figures).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_server_and_clients import _env, running_server

SECONDS = float(os.environ.get("EVALLEDGER_SOAK_SECONDS", "12"))
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _server_pid(port: str) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    for part in out.stdout.split("pid=")[1:]:
        return int(part.split(",")[0])
    raise AssertionError(f"no process listens on {port}: {out.stdout!r}")


async def _soak(base: str, key: str, seconds: float) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--base-url",
        base,
        "--key",
        key,
        "--seconds",
        str(seconds),
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=seconds + 120)
    assert proc.returncode == 0, err.decode()
    figures: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return figures


@pytest.mark.slow
async def test_soak_has_no_errors_and_flat_memory(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    with running_server(seeded.settings.database_url) as base:
        pid = _server_pid(base.rsplit(":", 1)[1])
        await _soak(base, key, 3)  # warm-up: caches, pools, lazy imports
        before = _rss_kib(pid)
        started = time.monotonic()
        figures = await _soak(base, key, SECONDS)
        after = _rss_kib(pid)
        print(f"soak {seeded.db.dialect_name}: {figures}, rss {before} -> {after} KiB")
        assert figures["errors"] == 0, figures
        assert figures["requests"] > 0 and time.monotonic() - started >= SECONDS
        # Flat memory: growth after warm-up stays small (no per-request leak).
        assert after - before < 64 * 1024, f"server RSS grew {before} -> {after} KiB"
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}
        ) as c:
            assert (await c.get("/health")).json()["status"] == "healthy"
