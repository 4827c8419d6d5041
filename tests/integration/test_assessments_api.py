"""The assessments REST API (``/api/v1``) and the HTTP Client, on both backends."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger


def body(skill: str = "empathy", score: float = 0.7) -> dict:
    return {
        "skill_type": skill,
        "score": score,
        "confidence": 0.8,
        "reasoning": "r",
        "recommendations": "rec",
        "feature_importance": {"f": 1.0},
        "evidence": [
            {
                "evidence_type": "behavioral",
                "source": "game_telemetry",
                "content": f"e{i}",
                "relevance_score": 0.5,
            }
            for i in range(3)
        ],
    }


def _resolved(path: Path) -> Path:
    return Path(path).resolve()


def _read(path: Path) -> dict:
    return dict(json.loads(path.read_text()))


async def _student(api: httpx.AsyncClient, name: str = "Ann") -> str:
    r = await api.post("/api/v1/students", json={"name": name, "metadata": {"grade": 5}})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_students_create_list_and_detail(api: httpx.AsyncClient) -> None:
    ids = [await _student(api, f"s{i}") for i in range(3)]
    page = (await api.get("/api/v1/students", params={"limit": 2})).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (
        await api.get("/api/v1/students", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert {s["id"] for s in page["items"] + rest["items"]} == set(ids)
    await api.post(f"/api/v1/assessments/{ids[0]}", json=body("empathy"))
    await api.post(f"/api/v1/assessments/{ids[0]}", json=body("resilience"))
    detail = (await api.get(f"/api/v1/students/{ids[0]}")).json()
    assert detail["metadata"] == {"grade": 5}
    assert detail["assessment_counts"] == {"empathy": 1, "resilience": 1}
    assert detail["total_assessments"] == 2
    assert (await api.get(f"/api/v1/students/{uuid.uuid4()}")).status_code == 404
    bad = await api.post("/api/v1/students", json={"name": "x", "nickname": "y"})
    assert bad.status_code == 422


async def test_create_assessment_and_validation(api: httpx.AsyncClient) -> None:
    sid = await _student(api)
    r = await api.post(f"/api/v1/assessments/{sid}", json=body())
    assert r.status_code == 201, r.text
    out = r.json()
    assert len(out["evidence"]) == 3 and out["cached"] is False
    assert (await api.get(f"/api/v1/assessments/{out['id']}")).json()["id"] == out["id"]
    for field, value in (("score", 1.5), ("confidence", -1)):
        r = await api.post(f"/api/v1/assessments/{sid}", json={**body(), field: value})
        assert r.status_code == 422
        assert field in json.dumps(r.json()["detail"])
    r = await api.post(f"/api/v1/assessments/{uuid.uuid4()}", json=body())
    assert r.status_code == 404
    cached = await api.post(f"/api/v1/assessments/{sid}?use_cached=true", json=body(score=0.1))
    assert cached.status_code == 200 and cached.json()["id"] == out["id"]
    assert cached.json()["cached"] is True


async def test_list_filters_and_pagination(api: httpx.AsyncClient) -> None:
    a, b = await _student(api, "a"), await _student(api, "b")
    for skill in ("empathy", "resilience", "empathy"):
        await api.post(f"/api/v1/assessments/{a}", json=body(skill))
    await api.post(f"/api/v1/assessments/{b}", json=body())
    r = await api.get("/api/v1/assessments", params={"student_id": a, "skill_type": "empathy"})
    assert len(r.json()["items"]) == 2
    first = (await api.get("/api/v1/assessments", params={"limit": 3})).json()
    second = (
        await api.get("/api/v1/assessments", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert second["next_cursor"] is None
    r = await api.get("/api/v1/assessments", params={"start_date": "2999-01-01"})
    assert r.json()["items"] == []
    assert (await api.get("/api/v1/assessments", params={"start_date": "soon"})).status_code == 422
    assert (await api.get("/api/v1/assessments", params={"skill_type": "x"})).status_code == 422


async def test_backup_writes_a_file_and_answers_with_the_seed_shape(
    api: httpx.AsyncClient, seeded: Ledger
) -> None:
    sid = await _student(api)
    await api.post(f"/api/v1/assessments/{sid}", json=body())
    r = await api.post("/api/v1/assessments/backup")
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == {"success", "backup_file", "total_assessments", "timestamp"}
    assert out["success"] is True and out["total_assessments"] == 1
    path = Path(out["backup_file"])
    assert path.parent == _resolved(seeded.settings.exports_dir)
    assert path.name.startswith("assessments_backup_") and path.suffix == ".json"
    document = _read(path)
    assert document["total_assessments"] == 1
    assert document["export_timestamp"] == out["timestamp"]
    again = (await api.post("/api/v1/assessments/backup")).json()
    assert again["backup_file"] != out["backup_file"]  # never overwrites


async def test_read_key_cannot_write(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key

    key = await make_key(seeded, "read")
    async with app_for(Authorization=f"Bearer {key}") as client:
        assert (await client.post("/api/v1/students", json={"name": "x"})).status_code == 403
        assert (await client.post("/api/v1/assessments/backup")).status_code == 403
        assert (await client.get("/api/v1/students")).status_code == 200


async def test_client_speaks_the_ledger_vocabulary(seeded: Ledger) -> None:
    from tests.conftest import make_key

    key = await make_key(seeded, "write")
    app = create_app(seeded.settings, ledger=seeded)
    async with Client("http://test", api_key=key, transport=httpx.ASGITransport(app=app)) as client:
        student = await client.create_student({"name": "Ann"})
        created = await client.create_assessment(student.id, body())
        again = await client.create_assessment(student.id, body(), use_cached=True)
        assert again.cached and again.id == created.id
        assert (await client.get_assessment(created.id)).evidence == created.evidence
        page = await client.list_assessments(student_id=student.id, skill_type="empathy")
        assert [a.id for a in page.items] == [created.id]
        assert (await client.get_student(student.id)).assessment_counts == {"empathy": 1}
        assert len((await client.list_students()).items) == 1
        assert (await client.stats()).total_evidence == 3
        backup = await client.backup_assessments()
        assert backup.success and _read(Path(backup.backup_file))["total_assessments"] == 1
        with pytest.raises(NotFoundError):
            await client.get_assessment(uuid.uuid4())
        with pytest.raises(ValidationFailed):
            await client.list_assessments(start_date="never")
