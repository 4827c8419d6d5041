"""The SDK as a user's type checker sees it: ``from evalledger import Ledger, Client,
SyncClient`` gives real classes, and SyncClient's methods return what Client's return."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from evalledger.sdk.client import Client, SyncClient

USER_SCRIPT = Path(__file__).resolve().parents[1] / "typing" / "user_script.py"
MYPY = (sys.executable, "-m", "mypy", "--strict", "--config-file=", "--no-error-summary")
CACHE = Path(__file__).resolve().parents[2] / ".mypy_cache" / "user-script"


def test_a_users_script_passes_mypy_strict() -> None:
    """Run as a user would: ``mypy --strict`` with no project configuration."""
    out = subprocess.run(
        [*MYPY, f"--cache-dir={CACHE}", USER_SCRIPT.name],
        cwd=USER_SCRIPT.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_sync_client_has_every_client_method() -> None:
    def coroutine_methods(cls: type) -> set[str]:
        return {
            name
            for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and inspect.iscoroutinefunction(member)
        }

    missing = coroutine_methods(Client) - {"aclose"} - set(vars(SyncClient))
    assert not missing, f"add to SyncClient: {sorted(missing)}"
    # Same parameters and docs, so help() and IDEs show the real method.
    with SyncClient("http://127.0.0.1:9") as sync:
        client = sync._client
        assert inspect.signature(sync.leaderboard) == inspect.signature(client.leaderboard)
        assert sync.export_assessments.__doc__ == client.export_assessments.__doc__


def test_importing_the_client_loads_no_server_side() -> None:
    """A script that only talks to a server must not pay for FastAPI, SQLAlchemy, the
    metrics registry or numpy: the statistics run on the server (``evalledger.Client`` took
    seconds to import when it did)."""
    code = (
        "import sys; from evalledger import Client, SyncClient; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'prometheus_client', 'alembic',"
        " 'uvicorn', 'starlette', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
