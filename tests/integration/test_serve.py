"""``make serve`` and ``evalledger serve`` as a newcomer runs them.

The Makefile's own ``serve`` recipe runs in an empty directory (a fresh clone has no
database): ``evalledger init``, ``evalledger demo --if-empty``, then the server, which must
say where it listens once it does, and answer ``/health`` with 200 although the demo data
holds a stale service heartbeat.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.test_server_and_clients import SRC
from tests.support.pgcluster import free_port

REPO = Path(__file__).resolve().parents[2]
SERVING = "evalledger serving on http://127.0.0.1:{port} (dashboard /, API docs /docs)"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALLEDGER_")}
    env.pop("PORT", None)
    env.pop("HOST", None)
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, "EVALLEDGER_LOG_LEVEL": "warning", **extra}


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """An empty working directory where ``make serve`` finds its virtualenv already made.

    ``BIN`` points at a shim running this source tree's CLI with this interpreter, and the
    install stamp is newer than (a stand-in) ``pyproject.toml``, so make installs nothing.
    """
    (tmp_path / "pyproject.toml").write_text("")
    time.sleep(0.01)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "evalledger"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m evalledger.cli.main "$@"\n')
    shim.chmod(0o755)
    (tmp_path / "installed").write_text("")
    return tmp_path


@contextmanager
def _process(cmd: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make, its shell and the server: one group to stop
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_for_line(proc: subprocess.Popen[str], wanted: str, timeout: float) -> list[str]:
    """Lines the process printed up to and including ``wanted``."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break  # exited
        seen.append(line.rstrip("\n"))
        if seen[-1] == wanted:
            return seen
    raise AssertionError(f"no {wanted!r} within {timeout} s; output:\n" + "\n".join(seen))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _init_database(clone: Path, env: dict[str, str]) -> None:
    """``evalledger init`` in ``clone`` with ``env`` (its EVALLEDGER_DATABASE_URL)."""
    subprocess.run(
        [sys.executable, "-m", "evalledger.cli.main", "init"],
        cwd=clone,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_make_serve_on_a_fresh_clone_is_healthy_on_the_chosen_port(fresh_clone: Path) -> None:
    port = free_port()
    cmd = [
        "make",
        "--no-print-directory",
        "-f",
        str(REPO / "Makefile"),
        "serve",
        f"PORT={port}",
        f"BIN={fresh_clone / 'bin'}",
        f"STAMP={fresh_clone / 'installed'}",
    ]
    with _process(cmd, fresh_clone, _clean_env()) as proc:
        lines = _wait_for_line(proc, SERVING.format(port=port), timeout=240)
        # Printed once it really listens: a connection succeeds right away.
        assert _listening(port)
        r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "healthy"
        assert (fresh_clone / "evalledger.db").exists()  # the Makefile's default database
        # The demo's stale worker heartbeat is a warning of its project, not an outage.
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
        assert r.status_code == 200 and r.json()["stale_services"], r.text
        assert not any(line.startswith("Traceback") for line in lines)


def test_serve_takes_the_port_from_the_environment(fresh_clone: Path) -> None:
    port = free_port()
    env = _clean_env(EVALLEDGER_PORT=str(port), EVALLEDGER_DATABASE_URL="sqlite:///./x.db")
    _init_database(fresh_clone, env)
    cmd = [sys.executable, "-m", "evalledger.cli.main", "serve", "--no-auth"]
    with _process(cmd, fresh_clone, env) as proc:
        _wait_for_line(proc, SERVING.format(port=port), timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200


def test_a_port_in_use_is_one_line_and_exit_code_2(fresh_clone: Path) -> None:
    env = _clean_env(EVALLEDGER_DATABASE_URL="sqlite:///./x.db", EVALLEDGER_LOG_LEVEL="info")
    _init_database(fresh_clone, env)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "evalledger.cli.main", "serve", "--port", str(port)],
            cwd=fresh_clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port}" in lines[0] and "already in use" in lines[0]
    assert "started" not in result.stdout + result.stderr  # nothing claims it started


def test_serve_with_workers_shares_the_bound_socket(fresh_clone: Path) -> None:
    port = free_port()
    env = _clean_env(EVALLEDGER_DATABASE_URL="sqlite:///./x.db")
    _init_database(fresh_clone, env)
    cmd = [sys.executable, "-m", "evalledger.cli.main", "serve", "--no-auth", "--port", str(port)]
    with _process([*cmd, "--workers", "2"], fresh_clone, env) as proc:
        _wait_for_line(proc, SERVING.format(port=port), timeout=60)
        # The socket listens before the workers are up: the first request waits, not fails.
        r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=30)
        assert r.status_code == 200, r.text
