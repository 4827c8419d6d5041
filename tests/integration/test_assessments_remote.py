"""Export, import and verify over HTTP: the ``Client`` gives what the ``Ledger`` gives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from evalledger.api.app import create_app
from evalledger.assessments import client as assessments_client
from evalledger.assessments import verify_report
from evalledger.assessments.models import Evidence, SkillAssessment
from evalledger.errors import ConflictError, PermissionDenied, ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork
from tests.conftest import make_key
from tests.integration.test_assessments_transfer import (
    _wipe_assessments,
    body_without_stamp,
    populate,
)
from tests.integration.test_assessments_verify import PLANTS, healthy, plant


@pytest.fixture
async def remote(ledger: Ledger) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=create_app(ledger.settings, ledger=ledger))
    key = await make_key(ledger, "write")
    async with Client("http://test", api_key=key, transport=transport) as client:
        yield client


async def _admin(ledger: Ledger) -> Client:
    transport = httpx.ASGITransport(app=create_app(ledger.settings, ledger=ledger))
    return Client("http://test", api_key=await make_key(ledger, "admin"), transport=transport)


async def _count(ledger: Ledger, model: type) -> int:
    async with ledger.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())


async def test_export_over_http_is_the_ledgers_document(
    ledger: Ledger, remote: Client, tmp_path: Path
) -> None:
    await populate(ledger)
    local = await ledger.export_assessments(tmp_path / "local.json")
    got = await remote.export_assessments(tmp_path / "remote" / "remote.json")
    assert got.output == str(tmp_path / "remote" / "remote.json")
    assert (got.total_assessments, got.total_students) == (12, 3)
    assert (got.total_assessments, got.total_students) == (
        local.total_assessments,
        local.total_students,
    )
    assert body_without_stamp(Path(got.output)) == body_without_stamp(Path(local.output))
    assert json.loads(Path(got.output).read_text())["export_timestamp"] == got.export_timestamp
    assert not list((tmp_path / "remote").glob("*.partial"))

    one = (await ledger.list_students(limit=1)).items[0]
    filtered = await remote.export_assessments(
        tmp_path / "one.json", student_id=one.id, skill_type="empathy"
    )
    records = json.loads(Path(filtered.output).read_text())["assessments"]
    assert records and filtered.total_assessments == len(records)
    assert {(r["student_id"], r["skill_type"]) for r in records} == {(str(one.id), "empathy")}

    with pytest.raises(ValidationFailed, match="start_date"):
        await remote.export_assessments(tmp_path / "bad.json", start_date="yesterday")
    assert not (tmp_path / "bad.json").exists()


async def test_import_over_http_in_parts_round_trips(
    ledger: Ledger, remote: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(ledger)
    first = await ledger.export_assessments(tmp_path / "first.json")
    await _wipe_assessments(ledger)
    assert await _count(ledger, Evidence) == 0

    # Small parts: the file goes as several requests, as a large one would.
    monkeypatch.setattr(assessments_client, "IMPORT_PART_BYTES", 3000)
    seen: list[tuple[int, int]] = []
    result = await remote.import_assessments(
        first.output, part_size=5, progress=lambda done, total: seen.append((done, total))
    )
    assert (result.imported, result.skipped, result.total) == (12, 0, 12)
    assert seen[0] == (0, 12) and seen[-1] == (12, 12) and len(seen) >= 4
    second = await remote.export_assessments(tmp_path / "second.json")
    assert body_without_stamp(Path(first.output)) == body_without_stamp(Path(second.output))

    # The default policy refuses stored ids; "skip" makes a re-run change nothing.
    with pytest.raises(ConflictError, match="already exists"):
        await remote.import_assessments(first.output)
    again = await remote.import_assessments(first.output, duplicates="skip")
    assert (again.imported, again.skipped) == (0, 12)
    assert await _count(ledger, SkillAssessment) == 12


async def test_import_endpoint_names_a_bad_record_and_writes_nothing(
    ledger: Ledger, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await populate(ledger, students=1, per_student=3)
    document = json.loads(
        Path((await ledger.export_assessments(tmp_path / "a.json")).output).read_text()
    )
    await _wipe_assessments(ledger)
    document["assessments"][1]["score"] = 1.5
    r = await api.post("/api/v1/assessments/import", json=document)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "assessments", 1, "score"]
    assert await _count(ledger, SkillAssessment) == 0

    document["assessments"][1]["score"] = 0.5
    r = await api.post("/api/v1/assessments/import", json=document)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 3
    r = await api.post("/api/v1/assessments/import?duplicates=bogus", json=document)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "duplicates"]


async def test_verify_over_http_checks_the_keys_project_and_matches_the_ledger(
    ledger: Ledger, remote: Client
) -> None:
    ctx = await healthy(ledger)
    ctx["project"] = ledger.actor.project_id
    await plant(ledger, PLANTS["orphaned evidence"][0](ctx), fks_off=True)
    report = await remote.verify()
    local = await ledger.verify()
    assert isinstance(report, verify_report.VerifyReport)
    assert not report.healthy and report.issues == 1
    assert report.scope == f"project {ledger.actor.project_id}"
    assert verify_report.render(report)[3:] == verify_report.render(local)[3:]
    assert {**report.as_dict(), "checked_at": ""} == {**local.as_dict(), "checked_at": ""}

    with pytest.raises(PermissionDenied, match="admin"):
        await remote.verify(fix_orphans=True)
    async with await _admin(ledger) as admin:
        fixed = await admin.verify(fix_orphans=True)
        assert fixed.fixed == 1 and fixed.healthy
        assert (await admin.verify()).healthy


async def test_a_projects_verify_ignores_other_projects(ledger: Ledger, remote: Client) -> None:
    ctx = await healthy(ledger)
    other = await make_key(ledger, "write", project="other")
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        ctx["project"] = (await tenancy.get_project(uow, "other")).id
    await plant(ledger, PLANTS["orphaned evidence"][0](ctx), fks_off=True)

    assert (await remote.verify()).healthy
    assert (await ledger.verify()).healthy
    everything = await ledger.verify(all_projects=True)
    assert not everything.healthy and everything.scope == "all projects"
    transport = httpx.ASGITransport(app=create_app(ledger.settings, ledger=ledger))
    async with Client("http://test", api_key=other, transport=transport) as theirs:
        report = await theirs.verify()
    assert [line.count for c in report.checks for line in c.lines if line.kind == "issue"] == [1]
    assert report.statistics.total_assessments == 0
