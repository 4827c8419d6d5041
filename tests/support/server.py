"""A real ``evalledger serve`` process for tests that need a live server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

import evalledger
from tests.support.pgcluster import free_port

#: Subprocesses import the same source tree as the tests (not whatever is installed).
SRC = os.path.dirname(os.path.dirname(evalledger.__file__))


def server_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


@contextmanager
def running_server(database_url: str, *args: str) -> Iterator[str]:
    port = free_port()
    env = server_env(
        EVALLEDGER_DATABASE_URL=database_url,
        EVALLEDGER_LOG_LEVEL="warning",
        EVALLEDGER_PG_ROW_SECURITY="true",  # PostgreSQL: the second wall is on in tests
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalledger.cli.main", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise AssertionError(f"server exited with {proc.returncode}: {out}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not become healthy in 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
