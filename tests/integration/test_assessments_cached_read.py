"""The MASS read: ``GET /api/v1/assessments/{student_id}?use_cached=true[&skill_type=...]``
answers the newest assessment of each skill inside the cache window, with its evidence."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from evalledger.api.app import create_app
from evalledger.assessments.models import SkillAssessment
from evalledger.db.types import utcnow
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


def _assessment(skill: str, score: float, evidence: int = 2) -> dict[str, Any]:
    return {
        "skill_type": skill,
        "score": score,
        "confidence": 0.8,
        "evidence": [
            {
                "evidence_type": "linguistic",
                "source": "transcript",
                "content": f"{skill} quote {k}",
                "relevance_score": 0.5,
            }
            for k in range(evidence)
        ],
    }


async def _student_with_history(ledger: Ledger) -> dict[str, Any]:
    """Empathy twice (the newer one wins), resilience once, adaptability only long ago."""
    student = await ledger.create_student({"name": "Ann"})
    old = await ledger.create_assessment(student.id, _assessment("adaptability", 0.1))
    await ledger.create_assessment(student.id, _assessment("empathy", 0.3))
    newest = await ledger.create_assessment(student.id, _assessment("empathy", 0.7, evidence=3))
    resilience = await ledger.create_assessment(student.id, _assessment("resilience", 0.5))
    days = ledger.settings.assessment_cache_days
    async with ledger.db.write_engine.begin() as conn:
        await conn.execute(
            update(SkillAssessment)
            .where(SkillAssessment.id == old.id)
            .values(created_at=utcnow() - timedelta(days=days + 1))
        )
    return {"student": student.id, "empathy": newest.id, "resilience": resilience.id}


@pytest.fixture
async def remote(seeded: Ledger) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    key = await make_key(seeded, "write")
    async with Client("http://test", api_key=key, transport=transport) as client:
        yield client


async def test_use_cached_returns_the_newest_per_skill_in_the_window(
    seeded: Ledger, api: httpx.AsyncClient
) -> None:
    made = await _student_with_history(seeded)
    r = await api.get(f"/api/v1/assessments/{made['student']}", params={"use_cached": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["student_id"] == str(made["student"]) and body["window_days"] == 7
    by_skill = {a["skill_type"]: a for a in body["assessments"]}
    assert set(by_skill) == {"empathy", "resilience"}  # adaptability is outside the window
    assert by_skill["empathy"]["id"] == str(made["empathy"])
    assert by_skill["empathy"]["score"] == 0.7 and len(by_skill["empathy"]["evidence"]) == 3
    assert all(a["cached"] for a in body["assessments"])


async def test_use_cached_with_a_skill_type(seeded: Ledger, api: httpx.AsyncClient) -> None:
    made = await _student_with_history(seeded)
    url = f"/api/v1/assessments/{made['student']}"
    r = await api.get(url, params={"use_cached": "true", "skill_type": "resilience"})
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["assessments"]] == [str(made["resilience"])]
    none = await api.get(url, params={"use_cached": "true", "skill_type": "adaptability"})
    assert none.status_code == 200 and none.json()["assessments"] == []
    bad = await api.get(url, params={"use_cached": "true", "skill_type": "charisma"})
    assert bad.status_code == 422 and "skill_type" in bad.text


async def test_use_cached_refusals_name_the_problem(seeded: Ledger, api: httpx.AsyncClient) -> None:
    made = await _student_with_history(seeded)
    unknown = await api.get(f"/api/v1/assessments/{uuid.uuid4()}", params={"use_cached": "true"})
    assert unknown.status_code == 404 and "student" in unknown.text
    fresh = await api.get(f"/api/v1/assessments/{made['student']}", params={"use_cached": "false"})
    assert fresh.status_code == 422 and "use_cached" in fresh.text
    lone = await api.get(f"/api/v1/assessments/{made['student']}", params={"skill_type": "empathy"})
    assert lone.status_code == 422 and "use_cached" in lone.text
    # Without use_cached the path still names one assessment, as before.
    one = await api.get(f"/api/v1/assessments/{made['empathy']}")
    assert one.status_code == 200 and one.json()["id"] == str(made["empathy"])


async def test_ledger_and_client_give_the_same_answer(seeded: Ledger, remote: Client) -> None:
    made = await _student_with_history(seeded)
    local = await seeded.get_cached_assessments(made["student"])
    over_http = await remote.get_cached_assessments(made["student"])
    # The same answer, read a moment apart (the window starts "now minus 7 days").
    assert local.model_dump(exclude={"since"}) == over_http.model_dump(exclude={"since"})
    assert abs(local.since - over_http.since) < timedelta(minutes=1)
    assert [a.skill_type for a in local.assessments] == ["empathy", "resilience"]
    only = await remote.get_cached_assessments(made["student"], skill_type="empathy")
    assert [a.id for a in only.assessments] == [made["empathy"]]
