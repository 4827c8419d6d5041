"""A real server process: the remote clients, persistence across restarts, --no-auth rules."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from evalledger import Client, SyncClient
from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, PermissionDenied, ValidationFailed
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.support.server import SRC, running_server, server_env

_env = server_env  # older tests import these names from here
__all__ = ["SRC", "_env", "running_server"]


async def test_data_survives_a_server_restart(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    url = seeded.settings.database_url
    with running_server(url) as base, SyncClient(base, api_key=key) as client:
        out = client.update_custody_test_result(
            "guardian", {"passed": True, "score": 88, "xp_awarded": 7}
        )
        assert out.updated_custody_metrics.xp == 7
    with running_server(url) as base, SyncClient(base, api_key=key) as client:
        metrics = client.get_agent_metrics("guardian")
        assert metrics.xp == 7 and metrics.test_history[0].score == 88


async def test_client_matches_ledger(seeded: Ledger) -> None:
    """Client and Ledger: same method names, same return types, same errors."""
    key = await make_key(seeded, "write")
    app = create_app(seeded.settings, ledger=seeded)
    transport = httpx.ASGITransport(app=app)
    async with Client("http://test", api_key=key, transport=transport) as client:
        remote = await client.update_custody_test_result("sandbox", {"passed": True, "score": 70})
        local = await seeded.get_agent_metrics("sandbox")
        assert type(remote).__name__ == "CustodyTestRecorded"
        assert (await client.get_agent_metrics("sandbox")) == local
        assert (await client.get_custody_metrics("sandbox")) == await seeded.get_custody_metrics(
            "sandbox"
        )
        assert (await client.get_all_agent_metrics()) == await seeded.get_all_agent_metrics()
        await client.update_learning_metrics(
            "sandbox", {"learning_score_delta": 2}, idempotency_key="k1"
        )
        await client.update_learning_metrics(
            "sandbox", {"learning_score_delta": 2}, idempotency_key="k1"
        )
        assert (await seeded.get_agent_metrics("sandbox")).learning_score == 2
        await client.bulk_update_metrics({"sandbox": {"status": "busy"}})
        assert (await client.reset_agent_metrics("sandbox")).metrics.total_tests_given == 0
        with pytest.raises(NotFoundError):
            await client.get_agent_metrics("ghost")
        with pytest.raises(ValidationFailed):
            await client._request(
                "POST", "/api/agent-metrics/sandbox/custody-test", json={"score": 500}
            )
        summary = await client.get_analytics_summary()
        assert summary.total_agents == 4
        # update, never create: the Client makes one PATCH, as the Ledger locks and updates
        with pytest.raises(NotFoundError):
            await client.update_specific_metrics("ghost", {"status": "busy"})
        with pytest.raises(NotFoundError):
            await seeded.get_agent_metrics("ghost")
        # every agent in one request, with the fields the Ledger returns (no test history)
        await client.update_custody_test_result("guardian", {"passed": True, "score": 70})
        listed = await client.list_agents()
        assert listed == await seeded.list_agents()
        assert len(listed) == 4 and not any(a.test_history for a in listed)
        assert (await client.get_agent_metrics("guardian")).test_history
    for name in (
        "get_agent_metrics",
        "get_all_agent_metrics",
        "list_agents",
        "create_or_update_agent_metrics",
        "update_specific_metrics",
        "update_custody_test_result",
        "get_custody_metrics",
        "update_learning_metrics",
        "bulk_update_metrics",
        "reset_agent_metrics",
        "get_analytics_summary",
    ):
        assert callable(getattr(seeded, name)) and callable(getattr(client, name)), name


async def test_read_key_client_gets_permission_denied(seeded: Ledger) -> None:
    key = await make_key(seeded, "read")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as client:
        with pytest.raises(PermissionDenied):
            await client.update_custody_test_result("guardian", {"passed": True, "score": 1})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_no_auth_server_answers_without_a_key(seeded: Ledger) -> None:
    with running_server(seeded.settings.database_url, "--no-auth") as base:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{base}/api/agent-metrics/", timeout=5)
        assert r.status_code == 200 and r.json()["total_agents"] == 4


def test_no_auth_is_refused_off_loopback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _env(EVALLEDGER_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    proc = subprocess.run(
        [sys.executable, "-m", "evalledger.cli.main", "serve", "--no-auth", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--no-auth is refused" in proc.stderr
