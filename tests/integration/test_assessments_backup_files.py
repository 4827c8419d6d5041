"""``POST /assessments/backup`` under concurrency: ten requests, ten whole files, no clash.

Five requests from each of two projects arrive at once. Each must answer 200 with its own
file (names once had one-second resolution, so most shared one path and a rename clash came
back as 503 "database unavailable"), each file must hold its own project's data, and no
temporary file may be left behind. A file-system failure is reported as what it is.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from evalledger.api.app import create_app
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_assessments_api import body


def _client(ledger: Ledger, key: str) -> httpx.AsyncClient:
    app = create_app(ledger.settings, ledger=ledger)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {key}"},
    )


async def _one_assessment(client: httpx.AsyncClient, student: str) -> None:
    r = await client.post("/api/v1/students", json={"name": student})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/assessments/{r.json()['id']}", json=body())
    assert r.status_code in (200, 201), r.text


async def test_ten_simultaneous_backups_from_two_projects(seeded: Ledger) -> None:
    keys = {
        "default": await make_key(seeded, "write"),
        "north-lab": await make_key(seeded, "write", project="north-lab"),
    }
    clients = {project: _client(seeded, key) for project, key in keys.items()}
    try:
        for project, client in clients.items():
            await _one_assessment(client, f"student of {project}")
        calls = [(p, c) for p, c in clients.items() for _ in range(5)]
        answers = await asyncio.gather(*(c.post("/api/v1/assessments/backup") for _, c in calls))
    finally:
        for client in clients.values():
            await client.aclose()
    assert [r.status_code for r in answers] == [200] * 10, [r.text for r in answers]
    paths = [Path(r.json()["backup_file"]) for r in answers]
    assert len(set(paths)) == 10, "every backup has its own file"
    for (project, _), path in zip(calls, paths, strict=True):
        assert project in path.name, f"{path.name} does not say whose it is"
        document = json.loads(path.read_text())
        assert [s["name"] for s in document["students"]] == [f"student of {project}"]
        assert document["total_assessments"] == 1
    folder = paths[0].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths), (
        "no temporary or extra files are left in the exports folder"
    )


async def test_a_file_system_error_is_not_a_database_outage(seeded: Ledger, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the exports folder should be")
    settings = seeded.settings.model_copy(update={"exports_dir": blocker / "exports"})
    app = create_app(settings, ledger=Ledger(seeded.db, settings))
    key = await make_key(seeded, "write")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {key}"},
    ) as client:
        r = await client.post("/api/v1/assessments/backup")
    assert r.status_code == 507, r.text
    detail = r.json()["detail"]
    assert "database" not in detail and "cannot write" in detail and "not-a-folder" in detail
