"""Students and assessments through the in-process Ledger, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from evalledger.assessments.models import Evidence, SkillAssessment
from evalledger.assessments.repository import EvidenceRepository
from evalledger.audit.models import AuditLog
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger


def payload(skill: str = "empathy", score: float = 0.77, n_evidence: int = 3) -> dict:
    return {
        "skill_type": skill,
        "score": score,
        "confidence": 0.85,
        "reasoning": "The student excels at empathy...",
        "recommendations": "Continue fostering...",
        "feature_importance": {"turns": 0.4, "sentiment": 0.6},
        "evidence": [
            {
                "evidence_type": "linguistic",
                "source": "transcript",
                "content": f"quote {i}",
                "relevance_score": 0.9,
            }
            for i in range(n_evidence)
        ],
    }


async def test_assessment_is_stored_with_its_evidence_in_order(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann", "external_id": "s-1"})
    created = await ledger.create_assessment(student.id, payload(n_evidence=5))
    assert not created.cached
    assert [e.content for e in created.evidence] == [f"quote {i}" for i in range(5)]
    assert all(e.assessment_id == created.id for e in created.evidence)
    again = await ledger.get_assessment(created.id)
    assert again.model_dump() == created.model_dump()
    assert again.feature_importance == {"turns": 0.4, "sentiment": 0.6}


async def test_out_of_range_values_are_rejected_not_clamped(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    for field, value in (("score", 1.01), ("confidence", -0.1)):
        with pytest.raises(ValidationFailed, match=field):
            await ledger.create_assessment(student.id, {**payload(), field: value})
    bad_evidence = payload()
    bad_evidence["evidence"][0]["relevance_score"] = 2
    with pytest.raises(ValidationFailed, match="relevance_score"):
        await ledger.create_assessment(student.id, bad_evidence)
    with pytest.raises(ValidationFailed, match="skill_type"):
        await ledger.create_assessment(student.id, payload(skill="charisma"))
    assert (await ledger.list_assessments()).items == []


async def test_unknown_student_is_not_found_and_writes_nothing(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="student"):
        await ledger.create_assessment(uuid.uuid4(), payload())
    assert (await ledger.stats()).total_assessments == 0


async def test_assessment_and_evidence_are_one_transaction(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = await ledger.create_student({"name": "Ann"})

    async def broken(self: EvidenceRepository, rows: object) -> int:
        list(rows)  # type: ignore[call-overload]
        raise RuntimeError("disk full")

    monkeypatch.setattr(EvidenceRepository, "bulk_insert", broken)
    with pytest.raises(RuntimeError):
        await ledger.create_assessment(student.id, payload())
    async with ledger.db.engine.connect() as conn:
        assert (await conn.execute(select(SkillAssessment.id))).all() == []
        audited = await conn.execute(
            select(AuditLog.id).where(AuditLog.entity_type == "skill_assessment")
        )
        assert audited.all() == []


async def test_creation_is_audited(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    created = await ledger.create_assessment(student.id, payload())
    async with ledger.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.action).order_by(
                    AuditLog.created_at
                )
            )
        ).all()
    assert ("student", str(student.id), "create") in rows
    assert ("skill_assessment", str(created.id), "create") in rows


async def test_client_id_makes_creation_idempotent(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    other = await ledger.create_student({"name": "Bob"})
    aid = uuid.uuid4()
    first, second = await asyncio.gather(
        ledger.create_assessment(student.id, {**payload(), "id": str(aid)}),
        ledger.create_assessment(student.id, {**payload(score=0.1), "id": str(aid)}),
    )
    assert first.id == second.id == aid and first.score == second.score
    stored = [first]
    replay = await ledger.create_assessment(student.id, {**payload(score=0.2), "id": str(aid)})
    assert replay.id == aid and replay.score == stored[0].score
    with pytest.raises(ConflictError):
        await ledger.create_assessment(other.id, {**payload(), "id": str(aid)})
    assert (await ledger.stats()).total_assessments == 1
    assert (await ledger.stats()).total_evidence == 3


async def test_use_cached_returns_recent_assessment_of_that_skill(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    first = await ledger.create_assessment(student.id, payload(score=0.5))
    cached = await ledger.create_assessment(student.id, payload(score=0.9), use_cached=True)
    assert cached.cached and cached.id == first.id and cached.score == 0.5
    other_skill = await ledger.create_assessment(
        student.id, payload(skill="resilience"), use_cached=True
    )
    assert not other_skill.cached
    # Older than the window (default 7 days): a new assessment is written.
    old = utcnow() - timedelta(days=ledger.settings.assessment_cache_days, hours=1)
    async with ledger.db.write_engine.begin() as conn:
        await conn.execute(update(SkillAssessment).values(created_at=old, updated_at=old))
    fresh = await ledger.create_assessment(student.id, payload(score=0.3), use_cached=True)
    assert not fresh.cached and fresh.id != first.id and fresh.score == 0.3
    assert (await ledger.get_student(student.id)).assessment_counts == {
        "empathy": 2,
        "resilience": 1,
    }


async def test_list_filters_and_keyset_pages(ledger: Ledger) -> None:
    ann = await ledger.create_student({"name": "Ann"})
    bob = await ledger.create_student({"name": "Bob"})
    for skill in ("empathy", "resilience", "empathy", "communication"):
        await ledger.create_assessment(ann.id, payload(skill=skill))
    await ledger.create_assessment(bob.id, payload())
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = await ledger.list_assessments(student_id=ann.id, limit=2, cursor=cursor)
        seen += [a.id for a in page.items]
        assert all(a.evidence for a in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    empathy = await ledger.list_assessments(skill_type="empathy")
    assert len(empathy.items) == 3
    today = utcnow().date().isoformat()
    assert len((await ledger.list_assessments(start_date=today, end_date=today)).items) == 5
    assert (await ledger.list_assessments(end_date="2000-01-01")).items == []
    with pytest.raises(ValidationFailed, match="start_date"):
        await ledger.list_assessments(start_date="yesterday")


async def test_students_are_listed_and_counted_per_skill(ledger: Ledger) -> None:
    ids = [(await ledger.create_student({"name": f"s{i}"})).id for i in range(5)]
    page = await ledger.list_students(limit=3)
    assert len(page.items) == 3 and page.next_cursor
    rest = await ledger.list_students(limit=3, cursor=page.next_cursor)
    assert {s.id for s in page.items + rest.items} == set(ids)
    await ledger.create_assessment(ids[0], payload("empathy"))
    await ledger.create_assessment(ids[0], payload("empathy"))
    await ledger.create_assessment(ids[0], payload("adaptability"))
    detail = await ledger.get_student(ids[0])
    assert detail.total_assessments == 3
    assert detail.assessment_counts == {"empathy": 2, "adaptability": 1}
    with pytest.raises(NotFoundError):
        await ledger.get_student(uuid.uuid4())


async def test_external_id_is_unique_per_project(ledger: Ledger) -> None:
    await ledger.create_student({"name": "Ann", "external_id": "x"})
    with pytest.raises(ConflictError, match="external_id"):
        await ledger.create_student({"name": "Other", "external_id": "x"})
    other = ledger.in_project(await _project(ledger, "other"))
    assert (await other.create_student({"name": "Ann", "external_id": "x"})).external_id == "x"


async def test_projects_do_not_see_each_other(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    created = await ledger.create_assessment(student.id, payload())
    other = ledger.in_project(await _project(ledger, "other"))
    with pytest.raises(NotFoundError):
        await other.get_assessment(created.id)
    with pytest.raises(NotFoundError):
        await other.create_assessment(student.id, payload())
    assert (await other.list_assessments()).items == []
    assert (await other.stats()).total_assessments == 0
    assert (await ledger.stats(all_projects=True)).total_assessments == 1


async def test_statistics_follow_the_seed(ledger: Ledger) -> None:
    a = await ledger.create_student({"name": "Ann"})
    b = await ledger.create_student({"name": "Bob"})
    await ledger.create_assessment(a.id, payload("empathy", n_evidence=4))
    await ledger.create_assessment(a.id, payload("empathy", n_evidence=2))
    await ledger.create_assessment(b.id, payload("resilience", n_evidence=3))
    stats = await ledger.stats()
    assert stats.total_assessments == 3
    assert stats.by_skill == {"empathy": 2, "resilience": 1}
    assert stats.total_evidence == 9 and stats.total_students == 2
    assert stats.students_with_assessments == 2
    assert stats.average_assessments_per_student == 1.5
    assert stats.average_evidence_per_assessment == 3.0


async def test_deleting_an_assessment_deletes_its_evidence(ledger: Ledger) -> None:
    student = await ledger.create_student({"name": "Ann"})
    created = await ledger.create_assessment(student.id, payload())
    from sqlalchemy import delete, func

    async with ledger.db.write_engine.begin() as conn:
        await conn.execute(delete(SkillAssessment).where(SkillAssessment.id == created.id))
    async with ledger.db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(Evidence))).scalar() == 0


async def _project(ledger: Ledger, name: str) -> uuid.UUID:
    from evalledger.tenancy import service as tenancy
    from evalledger.uow import UnitOfWork

    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, name)
    return project.id
