"""Runs the docs' code blocks the way a reader would: one fresh ledger per doc file.

Each doc file gets a temporary working directory, a fresh SQLite database made by
``evalledger init``, and ``evalledger serve --no-auth`` on a free loopback port. Its blocks run
in order in that directory (shell blocks under ``bash -e -o pipefail``, with ``curl`` failing on an
HTTP error status), with ``EVALLEDGER_DATABASE_URL`` naming that database (so CLI
commands, ``Ledger.open()`` and the server share it) and the docs' address
``http://127.0.0.1:8000`` rewritten to the test server's. The repository's
``tests/fixtures/`` is linked into the directory, so a block may use the shipped fixtures by
the path a reader in a checkout types (``evalledger runs import tests/fixtures/harness/``).
A doc can therefore build state
step by step, block after block, exactly as a reader following it would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import evalledger
from tests.support.docblocks import DocBlock, with_server_url
from tests.support.pgcluster import free_port

SRC = Path(evalledger.__file__).resolve().parent.parent
BLOCK_TIMEOUT_S = 120.0
SERVER_START_TIMEOUT_S = 60.0
_TAIL = 4000
_CLI = (sys.executable, "-m", "evalledger.cli.main")
#: Prepended to shell blocks: curl exits 0 on a 4xx/5xx answer, which would hide a broken
#: example; with ``--fail-with-body`` the answer is still printed and the block fails.
SHELL_PRELUDE = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n'


@dataclass(frozen=True)
class BlockResult:
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _tail(text: str) -> str:
    return text if len(text) <= _TAIL else "…" + text[-_TAIL:]


def describe_failure(block: DocBlock, result: BlockResult) -> str:
    status = (
        f"timed out after {BLOCK_TIMEOUT_S:.0f} s"
        if result.returncode is None
        else f"exited with {result.returncode}"
    )
    return (
        f"{block.path}:{block.line}: the ```{block.lang} block {status}\n"
        f"--- block ---\n{block.code}"
        f"--- stdout ---\n{_tail(result.stdout)}\n--- stderr ---\n{_tail(result.stderr)}"
    )


class DocEnvironment:
    """The working directory, database and server that one doc file's blocks share."""

    def __init__(self, doc_path: str) -> None:
        self.doc_path = doc_path
        self.workdir = Path(tempfile.mkdtemp(prefix="evalledger-docs-"))
        (self.workdir / "tests").mkdir()
        (self.workdir / "tests" / "fixtures").symlink_to(SRC.parent / "tests" / "fixtures")
        self.database_url = f"sqlite+aiosqlite:///{self.workdir / 'evalledger.db'}"
        self.env = self._environment()
        self.ran: set[int] = set()
        self.failed: set[int] = set()
        self._server: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def _environment(self) -> dict[str, str]:
        # Nothing from the developer's own EVALLEDGER_* settings leaks into a block.
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVALLEDGER_")}
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join([bindir, env.get("PATH", "")])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
        env["EVALLEDGER_DATABASE_URL"] = self.database_url
        env["EVALLEDGER_LOG_LEVEL"] = "warning"
        env["COLUMNS"] = "160"
        return env

    def start(self, *, with_server: bool = True) -> None:
        init = subprocess.run(
            [*_CLI, "init"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
        )
        if init.returncode != 0:
            raise RuntimeError(f"evalledger init failed: {init.stdout}{init.stderr}")
        if with_server:
            self._serve()

    def _serve(self) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        log = (self.workdir / "server.log").open("wb")
        self._server = subprocess.Popen(
            [*_CLI, "serve", "--no-auth", "--host", "127.0.0.1", "--port", str(port)],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if self._server.poll() is not None:
                raise RuntimeError(f"server exited: {self.server_log()}")
            try:
                httpx.get(f"{self.base_url}/health", timeout=2)  # 200 or 503: it listens
                return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer in time: {self.server_log()}")
            time.sleep(0.1)

    def server_log(self) -> str:
        path = self.workdir / "server.log"
        return _tail(path.read_text(errors="replace")) if path.exists() else ""

    def run(self, block: DocBlock) -> BlockResult:
        self.ran.add(block.index)
        code = with_server_url(block.code, self.base_url)
        stem = f"block-{block.index:02d}"
        if block.kind == "shell":
            script = self.workdir / f"{stem}.sh"
            script.write_text(SHELL_PRELUDE + code)
            argv = ["bash", "-e", "-o", "pipefail", str(script)]
        else:
            script = self.workdir / f"{stem}.py"
            script.write_text(code)
            argv = [sys.executable, str(script)]
        proc = subprocess.Popen(
            argv,
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=BLOCK_TIMEOUT_S)
            result = BlockResult(proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            result = BlockResult(None, out, err)
        if not result.ok:
            self.failed.add(block.index)
        return result

    def close(self) -> None:
        if self._server is not None:
            try:
                os.killpg(self._server.pid, signal.SIGTERM)
                self._server.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                _kill_group(self._server)
            self._server = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class DocSessions:
    """One :class:`DocEnvironment` at a time: the tests run a file's blocks consecutively, so
    the previous file's server is stopped when the next file's first block asks for its own.
    A file none of whose blocks names the server's address gets no server (it would only cost
    start-up time)."""

    def __init__(self) -> None:
        self.current: DocEnvironment | None = None

    def for_file(self, doc_path: str, *, with_server: bool = True) -> DocEnvironment:
        if self.current is None or self.current.doc_path != doc_path:
            self.close()
            env = DocEnvironment(doc_path)
            try:
                env.start(with_server=with_server)
            except BaseException:
                env.close()
                raise
            self.current = env
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
