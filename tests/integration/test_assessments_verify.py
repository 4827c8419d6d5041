"""``verify``: each kind of planted problem is reported, and only that one (both backends).

Problems are planted behind the API's back: on SQLite through a plain connection with foreign
keys and CHECK constraints switched off, on PostgreSQL with ``session_replication_role =
replica`` (no FK triggers) or with the CHECK constraint dropped for the duration.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, select, update

from evalledger.assessments import integrity, verify_report
from evalledger.assessments.models import Evidence, SkillAssessment, Student
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger

PRIMARY = ("empathy", "problem_solving", "self_regulation", "resilience")


async def healthy(ledger: Ledger) -> dict[str, Any]:
    """Two fully assessed students, agents with results, one fair event."""
    await ledger.seed_default_agents()
    students = []
    for name in ("Ann", "Bob"):
        student = await ledger.create_student({"name": name})
        students.append(student.id)
        for skill in PRIMARY:
            await ledger.create_assessment(
                student.id,
                {
                    "skill_type": skill,
                    "score": 0.6,
                    "confidence": 0.7,
                    "evidence": [
                        {
                            "evidence_type": "contextual",
                            "source": "transcript",
                            "content": f"{skill} {k}",
                            "relevance_score": 0.5,
                        }
                        for k in range(3)
                    ],
                },
            )
    await ledger.update_custody_test_result(
        "guardian", {"passed": True, "score": 90, "xp_awarded": 10}
    )
    await ledger.update_custody_test_result("guardian", {"passed": False, "score": 5})
    events = metadata.tables.get("olympic_events")
    if events is not None:
        now = utcnow()
        async with ledger.db.write_engine.begin() as conn:
            await conn.execute(
                events.insert().values(
                    id=uuid.uuid4(),
                    project_id=ledger.actor.project_id,
                    event_type="olympics",
                    participants=["guardian", "imperium"],
                    questions=[],
                    winners=["guardian"],
                    created_at=now,
                    updated_at=now,
                )
            )
    return {"students": students}


async def plant(ledger: Ledger, *statements: Any, fks_off: bool = False) -> None:
    """Run ``statements`` with foreign keys unenforced (when asked)."""
    if ledger.db.is_sqlite:
        engine = create_engine(ledger.settings.database_url.replace("+aiosqlite", ""))
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if fks_off else 'ON'}")
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
                for stmt in statements:
                    conn.execute(stmt)
                conn.commit()
        finally:
            engine.dispose()
        return
    async with ledger.db.write_engine.begin() as conn:
        if fks_off:
            await conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for stmt in statements:
            await conn.execute(stmt)


async def plant_out_of_range(ledger: Ledger, column: str, value: float) -> None:
    """Store a value the CHECK constraint forbids (PostgreSQL: constraint re-added NOT VALID)."""
    target = (
        update(SkillAssessment)
        .values({column: value})
        .where(SkillAssessment.id == one_assessment())
    )
    if ledger.db.is_sqlite:
        await plant(ledger, target)
        return
    name = f"ck_skill_assessments_{column}_range"
    async with ledger.db.write_engine.begin() as conn:
        await conn.exec_driver_sql(f"ALTER TABLE skill_assessments DROP CONSTRAINT {name}")
        await conn.execute(target)
        await conn.exec_driver_sql(
            f"ALTER TABLE skill_assessments ADD CONSTRAINT {name} "
            f"CHECK ({column} >= 0 AND {column} <= 1) NOT VALID"
        )


async def restore_constraints(ledger: Ledger) -> None:
    if ledger.db.is_postgres:
        async with ledger.db.write_engine.begin() as conn:
            await conn.execute(delete(Student))
            for column in ("score", "confidence"):
                await conn.exec_driver_sql(
                    f"ALTER TABLE skill_assessments VALIDATE CONSTRAINT "
                    f"ck_skill_assessments_{column}_range"
                )


def problems(report: verify_report.VerifyReport) -> list[tuple[str, str, str]]:
    return [
        (check.key, line.kind, line.text)
        for check in report.checks
        for line in check.lines
        if line.kind != "ok"
    ]


def one_assessment() -> Any:
    return select(SkillAssessment.id).order_by(SkillAssessment.id).limit(1).scalar_subquery()


async def test_healthy_database_passes(ledger: Ledger) -> None:
    await healthy(ledger)
    report = await ledger.verify()
    assert problems(report) == []
    assert report.healthy and report.issues == 0 and report.warnings == 0
    text = verify_report.render(report)
    for line in (
        "SKILL ASSESSMENT DATA INTEGRITY VERIFICATION",
        "6. Database statistics:",
        "  Total assessments: 8",
        "  Total evidence records: 24",
        "  Total students: 2",
        "  Average assessments per student: 4.0",
        "1. Checking score ranges...",
        "✓ All scores are within valid range (0-1)",
        "✓ All confidence scores are within valid range (0-1)",
        "✓ All 2 students have assessments",
        "✓ All students have all 4 primary skill assessments",
        "✓ No orphaned evidence records found",
        "✓ All assessments have evidence records",
        "✓ Evidence counts are reasonable for all assessments",
        "✓ No future timestamps found",
        "✓ All timestamps are consistent",
        "✓ All 4 agents' test counters equal the sum of their results",
        "Issues found: 0",
        "Warnings: 0",
    ):
        assert line in text
    assert text[-1] == "✓ All integrity checks passed! Data is healthy."


@pytest.mark.parametrize("column", ["score", "confidence"])
async def test_out_of_range_scores_are_issues(ledger: Ledger, column: str) -> None:
    await healthy(ledger)
    try:
        await plant_out_of_range(ledger, column, 1.5 if column == "score" else -0.2)
        report = await ledger.verify()
        label = "scores" if column == "score" else "confidence scores"
        assert problems(report) == [
            ("score_ranges", "issue", f"1 assessments have {label} outside 0-1")
        ]
        assert report.issues == 1 and not report.healthy
    finally:
        await restore_constraints(ledger)


def _future() -> Any:
    return utcnow() + timedelta(days=1)


PLANTS: dict[str, tuple[Any, bool, tuple[str, str, str]]] = {
    "student without assessments": (
        lambda ctx: Student.__table__.insert().values(
            id=uuid.uuid4(),
            project_id=ctx["project"],
            name="Cleo",
            metadata={},
            created_at=utcnow(),
            updated_at=utcnow(),
        ),
        False,
        ("student_coverage", "warning", "1 of 3 students have no assessments"),
    ),
    "missing primary skill": (
        lambda ctx: delete(SkillAssessment).where(SkillAssessment.id == one_assessment()),
        False,
        ("student_coverage", "warning", "1 students are missing some of the 4 primary"),
    ),
    "orphaned evidence": (
        lambda ctx: Evidence.__table__.insert().values(
            id=uuid.uuid4(),
            project_id=ctx["project"],
            assessment_id=uuid.uuid4(),
            evidence_type="linguistic",
            source="transcript",
            content="nobody's",
            relevance_score=0.5,
            created_at=utcnow(),
            updated_at=utcnow(),
        ),
        True,
        ("orphaned_evidence", "issue", "Found 1 orphaned evidence records"),
    ),
    "assessment without evidence": (
        lambda ctx: delete(Evidence).where(Evidence.assessment_id == one_assessment()),
        False,
        ("evidence_linking", "warning", "1 assessments have no evidence records"),
    ),
    "too little evidence": (
        lambda ctx: delete(Evidence).where(
            Evidence.id.in_(
                select(Evidence.id)
                .where(Evidence.assessment_id == one_assessment())
                .order_by(Evidence.id)
                .limit(2)
                .scalar_subquery()
            )
        ),
        False,
        ("evidence_linking", "warning", "1 assessments have an unusual number of evidence"),
    ),
    "future timestamp": (
        lambda ctx: (
            update(Evidence)
            .values(created_at=_future(), updated_at=_future())
            .where(
                Evidence.id
                == select(Evidence.id).order_by(Evidence.id.desc()).limit(1).scalar_subquery()
            )
        ),
        False,
        ("timestamps", "issue", "1 records have timestamps in the future (evidence: 1)"),
    ),
    "updated before created": (
        lambda ctx: (
            update(Student)
            .values(updated_at=utcnow() - timedelta(days=400))
            .where(Student.id == ctx["students"][0])
        ),
        False,
        ("timestamps", "issue", "1 records have updated_at before created_at (students: 1)"),
    ),
    "agent counters": (
        lambda ctx: (
            update(metadata.tables["agent_metrics"])
            .values(total_tests_given=3, total_tests_passed=2)
            .where(metadata.tables["agent_metrics"].c.agent_type == "guardian")
        ),
        False,
        ("agent_counters", "issue", "1 agents have counters that disagree"),
    ),
    "custody xp": (
        lambda ctx: (
            update(metadata.tables["agent_metrics"])
            .values(custody_xp=99)
            .where(metadata.tables["agent_metrics"].c.agent_type == "sandbox")
        ),
        False,
        ("agent_counters", "issue", "1 agents have counters that disagree"),
    ),
    "winner who did not take part": (
        lambda ctx: update(metadata.tables["olympic_events"]).values(winners=["guardian", "ghost"]),
        False,
        ("event_winners", "issue", "1 events have winners who are not participants"),
    ),
}


@pytest.mark.parametrize("kind", list(PLANTS))
async def test_each_planted_problem_is_reported_exactly(ledger: Ledger, kind: str) -> None:
    make, fks_off, expected = PLANTS[kind]
    if kind.startswith("winner") and "olympic_events" not in metadata.tables:
        pytest.skip("olympic events are not installed")
    ctx = await healthy(ledger)
    ctx["project"] = ledger.actor.project_id
    await plant(ledger, make(ctx), fks_off=fks_off)
    report = await ledger.verify()
    found = problems(report)
    assert len(found) == 1, found
    key, kind_found, text = found[0]
    assert (key, kind_found) == expected[:2] and text.startswith(expected[2]), found
    assert report.healthy == (kind_found != "issue")
    verbose = "\n".join(verify_report.render(report, verbose=True))
    assert "    - " in verbose  # offending ids are listed


async def test_counter_mismatch_names_the_agent(ledger: Ledger) -> None:
    await healthy(ledger)
    agents = metadata.tables["agent_metrics"]
    await plant(
        ledger,
        update(agents).values(custody_xp=99).where(agents.c.agent_type == "guardian"),
    )
    line = next(ln for c in (await ledger.verify()).checks for ln in c.lines if ln.sample)
    assert line.sample == ["guardian: custody_xp 99 != 10"]


async def test_fix_orphans_fixes_only_orphans(ledger: Ledger) -> None:
    ctx = await healthy(ledger)
    ctx["project"] = ledger.actor.project_id
    await plant(ledger, PLANTS["orphaned evidence"][0](ctx), fks_off=True)
    await plant(ledger, PLANTS["orphaned evidence"][0](ctx), fks_off=True)
    future = _future()
    await plant(
        ledger,
        update(Student)
        .values(created_at=future, updated_at=future)
        .where(Student.id == ctx["students"][0]),
    )
    before = await ledger.stats(all_projects=True)

    fixed = await ledger.verify(fix_orphans=True)
    assert [(k, kind) for k, kind, _ in problems(fixed)] == [
        ("orphaned_evidence", "fixed"),
        ("timestamps", "issue"),
    ]
    assert fixed.fixed == 2 and fixed.issues == 1

    after = await ledger.verify()
    assert [(k, kind) for k, kind, _ in problems(after)] == [("timestamps", "issue")]
    stats = await ledger.stats(all_projects=True)
    assert stats.total_evidence == before.total_evidence - 2
    assert stats.total_assessments == before.total_assessments
    assert stats.total_students == before.total_students


async def test_json_report_is_machine_readable(ledger: Ledger) -> None:
    await healthy(ledger)
    await plant(ledger, PLANTS["future timestamp"][0]({}))
    data = (await ledger.verify(all_projects=True)).as_dict()
    assert data["scope"] == "all projects"
    assert data["healthy"] is False and data["issues_found"] == 1 and data["warnings"] == 0
    by_key = {c["check"]: c for c in data["checks"]}
    assert by_key["timestamps"]["status"] == "issue"
    assert by_key["score_ranges"]["status"] == "ok"
    assert data["statistics"]["total_assessments"] == 8


async def test_all_projects_covers_every_project_and_a_project_only_itself(
    ledger: Ledger,
) -> None:
    from evalledger.tenancy import service as tenancy
    from evalledger.uow import UnitOfWork

    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, "elsewhere")
    other = ledger.in_project(project.id)
    await other.create_student({"name": "Zed"})
    report = await ledger.verify(all_projects=True)
    assert problems(report)[0][:2] == ("student_coverage", "warning")
    assert problems(await other.verify())[0][:2] == ("student_coverage", "warning")
    assert problems(await ledger.verify()) == []


async def test_event_check_is_skipped_without_the_events_table(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = {k: v for k, v in metadata.tables.items() if k != "olympic_events"}
    monkeypatch.setattr(integrity, "metadata", SimpleNamespace(tables=tables))
    report = await ledger.verify()
    check = next(c for c in report.checks if c.key == "event_winners")
    assert check.status == "skipped" and report.healthy
