"""Starting HTTP servers as subprocesses and driving them with concurrent httpx clients."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.core import run_concurrent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    argv: Sequence[str],
    health_url: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 90,
) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        list(argv),
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {' '.join(argv)}")
            try:
                if httpx.get(health_url, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {' '.join(argv)}")
            time.sleep(0.2)
        yield proc
    finally:
        # Stop the server's whole process group (gunicorn/uvicorn workers included).
        try:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, 9)
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


async def hammer(
    base_url: str,
    clients: int,
    total: int,
    request: Callable[[int, int], tuple[str, str, Any]],
    headers: dict[str, str] | None = None,
) -> tuple[float, list[float], int]:
    """``clients`` concurrent httpx clients (one connection each) sending ``total`` requests.

    ``request(worker, i)`` returns (method, path, json). Returns (seconds, latencies, errors).
    """
    pool = [
        httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=60,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        for _ in range(clients)
    ]
    errors = 0

    async def op(w: int, i: int) -> None:
        nonlocal errors
        method, path, body = request(w, i)
        response = await pool[w].request(method, path, json=body)
        if response.status_code >= 400:
            errors += 1
            if errors <= 3:
                print(f"    ! {response.status_code} {response.text[:200]}")

    try:
        # Warm the connections up (not timed).
        await asyncio.gather(*(op(w, -1) for w in range(clients)))
        errors = 0
        # The load generator's own full garbage collections (its heap holds every earlier
        # scenario's leftovers) stop all 16 clients at once and were charged to the server's
        # p99; keep what exists now out of them while the clock runs.
        gc.collect()
        gc.freeze()
        secs, lat = await run_concurrent(total, clients, op)
    finally:
        gc.unfreeze()
        await asyncio.gather(*(c.aclose() for c in pool))
    return secs, lat, errors
