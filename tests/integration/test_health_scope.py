"""``/health`` describes the server; a project's stale services are that project's warnings.

A write key of one project must not be able to turn the whole server's ``/health`` into 503
(by letting a heartbeat go stale), and nobody may read another project's service and
instance names from ``/health``, the dashboard's health page or the authenticated health
route.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from evalledger.api.app import create_app
from evalledger.cli.main import app
from evalledger.config import get_settings
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger
from evalledger.uow import UnitOfWork
from evalledger.verification.models import ServiceHealth
from tests.conftest import make_key

SECRET_SERVICE = "payroll-sync"
SECRET_INSTANCE = "payroll-sync-eu-7"


async def _stale_heartbeat_in_other_project(seeded: Ledger) -> tuple[str, str]:
    """A key of project ``other`` beats once, then the heartbeat is twenty minutes old."""
    other_key = await make_key(seeded, "write", project="other")
    app = create_app(seeded.settings, ledger=seeded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {other_key}"},
    ) as other:
        r = await other.post(
            "/api/v1/service-health/heartbeats",
            json={"service_name": SECRET_SERVICE, "instance_id": SECRET_INSTANCE},
        )
        assert r.status_code == 200, r.text
    async with UnitOfWork(seeded.db, write=True, tenant_scoped=False) as uow:
        await uow.session.execute(
            update(ServiceHealth)
            .where(ServiceHealth.instance_id == SECRET_INSTANCE)
            .values(last_heartbeat=utcnow() - timedelta(minutes=20))
        )
    return other_key, await make_key(seeded, "read")


def _client(seeded: Ledger, key: str | None = None, **cookies: str) -> httpx.AsyncClient:
    app = create_app(seeded.settings, ledger=seeded)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers=headers,
        cookies=cookies,
    )


async def test_a_stale_heartbeat_neither_fails_nor_leaks_through_health(seeded: Ledger) -> None:
    _, own_key = await _stale_heartbeat_in_other_project(seeded)
    for key in (None, own_key):
        async with _client(seeded, key) as http:
            r = await http.get("/health")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "healthy" and body["problems"] == []
        assert SECRET_SERVICE not in r.text and SECRET_INSTANCE not in r.text
        assert body["database"] == "connected" and body["migrations_current"] is True
        assert {"size", "checked_out"} <= set(body["pool"])


async def test_stale_services_are_warnings_of_their_own_project_only(seeded: Ledger) -> None:
    other_key, own_key = await _stale_heartbeat_in_other_project(seeded)
    async with _client(seeded, other_key) as http:
        r = await http.get("/api/v1/health")
    assert r.status_code == 200, r.text  # a warning, not an outage
    body = r.json()
    assert body["status"] == "healthy" and body["project"] == "other"
    assert [s["instance_id"] for s in body["stale_services"]] == [SECRET_INSTANCE]
    assert any(SECRET_SERVICE in w for w in body["warnings"])

    async with _client(seeded, own_key) as http:
        r = await http.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["stale_services"] == [] and r.json()["warnings"] == []
    assert SECRET_INSTANCE not in r.text

    async with _client(seeded) as http:
        assert (await http.get("/api/v1/health")).status_code == 401


async def test_dashboard_health_page_shows_only_the_signed_in_project(seeded: Ledger) -> None:
    other_key, own_key = await _stale_heartbeat_in_other_project(seeded)
    async with _client(seeded, evalledger_session=own_key) as http:
        r = await http.get("/status")
    assert r.status_code == 200, r.text
    assert SECRET_INSTANCE not in r.text and SECRET_SERVICE not in r.text
    assert "healthy" in r.text and "unhealthy" not in r.text

    async with _client(seeded, evalledger_session=other_key) as http:
        r = await http.get("/status")
    assert r.status_code == 200
    assert SECRET_INSTANCE in r.text and "unhealthy" not in r.text


async def test_cli_health_warns_about_the_chosen_projects_stale_services(
    seeded: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stale_heartbeat_in_other_project(seeded)
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", seeded.settings.database_url)
    get_settings.cache_clear()
    try:
        default = await asyncio.to_thread(CliRunner().invoke, app, ["health", "--diagnose"])
        other = await asyncio.to_thread(
            CliRunner().invoke, app, ["health", "--diagnose", "--project", "other", "--json"]
        )
    finally:
        get_settings.cache_clear()
    assert default.exit_code == 0, default.output
    assert SECRET_INSTANCE not in default.output
    assert other.exit_code == 0, other.output  # a warning, not a failed check
    body = json.loads(other.output)
    assert body["project"] == "other" and body["status"] == "healthy"
    assert [s["instance_id"] for s in body["stale_services"]] == [SECRET_INSTANCE]
