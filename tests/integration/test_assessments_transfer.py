"""Export and import in seed 003's backup format, on both backends and across them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from evalledger.assessments import export, importer
from evalledger.config import load_settings
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.sdk.ledger import Ledger
from tests.conftest import reset_tables

SKILLS = ("empathy", "problem_solving", "self_regulation", "resilience", "communication")


async def populate(ledger: Ledger, students: int = 3, per_student: int = 4) -> list[Any]:
    """Varied data: unicode, nested JSON in odd key order, awkward floats, shared timestamps."""
    created = []
    for s in range(students):
        student = await ledger.create_student(
            {
                "name": f"Élève {s} — 学生",
                "external_id": f"ext-{s}" if s % 2 == 0 else None,
                "metadata": {"z": [3, {"b": 1, "a": None}], "a": {"y": 0.1, "x": True}},
            }
        )
        for i in range(per_student):
            created.append(
                await ledger.create_assessment(
                    student.id,
                    {
                        "skill_type": SKILLS[(s + i) % len(SKILLS)],
                        "score": [0.1 + 0.2, 1 / 3, 0.0, 1.0, 1e-300][(s + i) % 5],
                        "confidence": 0.85,
                        "reasoning": None if i == 1 else f"reason {s}/{i} «ok»\nline 2",
                        "recommendations": "",
                        "feature_importance": None
                        if i == 2
                        else {"zeta": 0.12345678901234568, "alpha": [1, 2.5, "x"], "n": 10**12},
                        "evidence": [
                            {
                                "evidence_type": ("linguistic", "behavioral", "contextual")[k % 3],
                                "source": "transcript",
                                "content": f"evidence {k} ✓",
                                "relevance_score": 0.9,
                            }
                            for k in range(i + 1)
                        ],
                    },
                )
            )
    return created


def body_without_stamp(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if '"export_timestamp"' not in ln]


async def test_export_has_the_seed_format(ledger: Ledger, tmp_path: Path) -> None:
    await populate(ledger, students=2, per_student=2)
    out = tmp_path / "backup.json"
    result = await ledger.export_assessments(out)
    assert result.total_assessments == 4 and result.total_students == 2
    doc = json.loads(out.read_text())
    assert list(doc) == [
        "export_timestamp",
        "export_filters",
        "total_assessments",
        "total_students",
        "students",
        "assessments",
    ]
    assert doc["export_filters"] == {
        "student_id": None,
        "skill_type": None,
        "start_date": None,
        "end_date": None,
    }
    assert doc["total_assessments"] == len(doc["assessments"]) == 4
    record = doc["assessments"][0]
    assert list(record) == [
        "id",
        "student_id",
        "skill_type",
        "score",
        "confidence",
        "reasoning",
        "recommendations",
        "feature_importance",
        "created_at",
        "updated_at",
        "evidence",
    ]
    assert list(record["evidence"][0]) == [
        "id",
        "assessment_id",
        "evidence_type",
        "source",
        "content",
        "relevance_score",
        "created_at",
        "updated_at",
    ]
    assert record["created_at"].endswith("+00:00")
    assert list(doc["students"][0]) == [
        "id",
        "name",
        "external_id",
        "metadata",
        "created_at",
        "updated_at",
    ]
    assert not (tmp_path / "backup.json.partial").exists()


async def test_export_filters(ledger: Ledger, tmp_path: Path) -> None:
    created = await populate(ledger, students=3, per_student=3)
    sid = created[0].student_id
    out = tmp_path / "one.json"
    result = await ledger.export_assessments(out, student_id=sid)
    doc = json.loads(out.read_text())
    assert result.total_assessments == 3 == doc["total_assessments"]
    assert {a["student_id"] for a in doc["assessments"]} == {str(sid)}
    assert [s["id"] for s in doc["students"]] == [str(sid)]
    assert doc["export_filters"]["student_id"] == str(sid)

    await ledger.export_assessments(out, skill_type="empathy")
    doc = json.loads(out.read_text())
    expected = sum(1 for a in created if a.skill_type == "empathy")
    assert doc["total_assessments"] == expected
    assert {a["skill_type"] for a in doc["assessments"]} == {"empathy"}

    day = created[0].created_at.date().isoformat()
    await ledger.export_assessments(out, start_date=day, end_date=day)
    assert json.loads(out.read_text())["total_assessments"] == 9
    await ledger.export_assessments(out, start_date="2000-01-01", end_date="2000-12-31")
    doc = json.loads(out.read_text())
    assert doc["total_assessments"] == 0 and doc["assessments"] == [] and doc["students"] == []
    assert doc["export_filters"]["end_date"] == "2000-12-31"


async def test_export_streams_in_chunks_across_equal_timestamps(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imported rows share timestamps; keyset chunks of 3 must neither skip nor repeat."""
    await populate(ledger, students=2, per_student=5)
    full = tmp_path / "full.json"
    await ledger.export_assessments(full)
    doc = json.loads(full.read_text())
    stamp = "2024-11-29T12:34:56.789000+00:00"
    for a in doc["assessments"]:
        a["id"] = str(uuid.uuid4())
        a["created_at"] = a["updated_at"] = stamp
        for e in a["evidence"]:
            e["id"] = str(uuid.uuid4())
            e["assessment_id"] = a["id"]
    full.write_text(json.dumps(doc))
    await ledger.import_assessments(full, duplicates="skip")
    monkeypatch.setattr(export, "EXPORT_CHUNK", 3)
    chunked = tmp_path / "chunked.json"
    result = await ledger.export_assessments(chunked)
    ids = [a["id"] for a in json.loads(chunked.read_text())["assessments"]]
    assert result.total_assessments == 20 == len(ids) == len(set(ids))


async def test_round_trip_across_backends_is_identical(
    database_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """export -> import into an empty database of the other backend -> export: same document."""
    if len(database_urls) < 2:
        pytest.skip("needs both backends")
    monkeypatch.setattr(export, "EXPORT_CHUNK", 4)
    ledgers = {
        name: await Ledger.open(settings=load_settings(database_url=url, exports_dir=tmp_path))
        for name, url in database_urls.items()
    }
    try:
        for source, target in (("sqlite", "postgres"), ("postgres", "sqlite")):
            for led in ledgers.values():
                await reset_tables(led.db)
            await populate(ledgers[source])
            # Records with seed-style naive timestamps and a JSON-string feature_importance.
            legacy = tmp_path / f"legacy_{source}.json"
            student = (await ledgers[source].list_students(limit=1)).items[0]
            legacy.write_text(json.dumps(_legacy_doc(str(student.id))))
            await ledgers[source].import_assessments(legacy, duplicates="skip")

            first = tmp_path / f"{source}.json"
            second = tmp_path / f"{source}_to_{target}.json"
            exported = await ledgers[source].export_assessments(first)
            imported = await ledgers[target].import_assessments(first, batch_size=5)
            assert imported.imported == exported.total_assessments == 13
            assert imported.students_imported == 3
            await ledgers[target].export_assessments(second)
            assert body_without_stamp(first) == body_without_stamp(second)
            a, b = json.loads(first.read_text()), json.loads(second.read_text())
            a.pop("export_timestamp")
            b.pop("export_timestamp")
            assert a == b and len(a["assessments"]) == 13
    finally:
        for led in ledgers.values():
            await led.close()


def _legacy_doc(student_id: str) -> dict[str, Any]:
    aid = str(uuid.uuid4())
    return {
        "export_timestamp": "2025-11-29T21:51:32.123456",
        "assessments": [
            {
                "id": aid,
                "student_id": student_id,
                "skill_type": "resilience",
                "score": 0.77,
                "confidence": 0.85,
                "reasoning": "The student excels...",
                "recommendations": "Continue fostering...",
                "feature_importance": '{"b": 2, "a": 1}',
                "created_at": "2024-11-29T12:34:56.789",
                "updated_at": "2024-11-29T12:34:56.789",
                "evidence": [
                    {
                        "id": str(uuid.uuid4()),
                        "assessment_id": aid,
                        "evidence_type": "linguistic",
                        "source": "transcript",
                        "content": "Student demonstrated empathy...",
                        "relevance_score": 0.9,
                        "created_at": "2024-11-29T12:34:56.789",
                        "updated_at": "2024-11-29T12:34:56.789",
                    }
                ],
            }
        ],
    }


async def _exported(ledger: Ledger, tmp_path: Path, name: str = "b.json") -> Path:
    path = tmp_path / name
    await ledger.export_assessments(path)
    return path


async def _wipe_assessments(ledger: Ledger) -> None:
    from sqlalchemy import delete

    from evalledger.assessments.models import SkillAssessment

    async with ledger.db.write_engine.begin() as conn:
        await conn.execute(delete(SkillAssessment))


async def test_import_duplicate_policies(ledger: Ledger, tmp_path: Path) -> None:
    created = await populate(ledger, students=2, per_student=3)
    path = await _exported(ledger, tmp_path)
    with pytest.raises(ConflictError, match=f"record 0 \\(id {created[0].id}\\) already exists"):
        await ledger.import_assessments(path)
    skipped = await ledger.import_assessments(path, duplicates="skip")
    assert (skipped.imported, skipped.skipped, skipped.updated) == (0, 6, 0)

    # Change stored data; --update-duplicates puts the file's values (and evidence) back.
    await ledger.create_assessment(
        created[0].student_id, {"skill_type": "empathy", "score": 0.5, "confidence": 0.5}
    )
    doc = json.loads(path.read_text())
    doc["assessments"][0]["score"] = 0.125
    doc["assessments"][0]["evidence"] = doc["assessments"][0]["evidence"][:0]
    path.write_text(json.dumps(doc))
    updated = await ledger.import_assessments(path, duplicates="update")
    assert (updated.imported, updated.skipped, updated.updated) == (0, 0, 6)
    first = await ledger.get_assessment(created[0].id)
    assert first.score == 0.125 and first.evidence == []
    assert first.created_at == created[0].created_at
    assert (await ledger.stats()).total_assessments == 7


async def test_malformed_record_is_named_and_nothing_of_its_batch_is_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    await populate(ledger, students=1, per_student=4)
    path = await _exported(ledger, tmp_path)
    await _wipe_assessments(ledger)
    doc = json.loads(path.read_text())
    bad_id = doc["assessments"][2]["id"]
    doc["assessments"][2]["score"] = 7
    path.write_text(json.dumps(doc))
    with pytest.raises(ValidationFailed, match=f"record 2 \\(id {bad_id}\\): score"):
        await ledger.import_assessments(path, batch_size=2)
    # The file is streamed: batch 0..1 is committed before batch 2..3 is read; a re-run with
    # duplicates="skip" completes the import once the record is fixed.
    assert (await ledger.stats()).total_assessments == 2
    await _wipe_assessments(ledger)
    with pytest.raises(ValidationFailed, match=f"record 2 \\(id {bad_id}\\): score"):
        await ledger.import_assessments(path)  # one batch: nothing written
    assert (await ledger.stats()).total_assessments == 0

    doc["assessments"][2]["score"] = 0.5
    doc["assessments"][3]["evidence"][0]["assessment_id"] = doc["assessments"][0]["id"]
    path.write_text(json.dumps(doc))
    with pytest.raises(ValidationFailed, match=r"record 3 .* evidence 0"):
        await ledger.import_assessments(path)

    path.write_text('{"assessments": [')
    with pytest.raises(ValidationFailed, match="not valid JSON"):
        await ledger.import_assessments(path)
    path.write_text('{"rows": []}')
    with pytest.raises(ValidationFailed, match="not an assessments backup"):
        await ledger.import_assessments(path)
    assert (await ledger.stats()).total_assessments == 0


async def test_failing_batch_writes_nothing_and_a_rerun_completes(
    ledger: Ledger, tmp_path: Path
) -> None:
    await populate(ledger, students=2, per_student=5)
    path = await _exported(ledger, tmp_path)
    doc = json.loads(path.read_text())
    await reset_tables(ledger.db)
    # Record 5 names a student that exists nowhere: batch 4..5 (batch size 2) fails.
    ghost = str(uuid.uuid4())
    real = doc["assessments"][5]["student_id"]
    doc["assessments"][5]["student_id"] = ghost
    path.write_text(json.dumps(doc))
    with pytest.raises(ValidationFailed, match=f"record 5 .*student {ghost}"):
        await ledger.import_assessments(path, batch_size=2)
    assert (await ledger.stats()).total_assessments == 4  # batches 0..1 and 2..3 committed

    doc["assessments"][5]["student_id"] = real
    path.write_text(json.dumps(doc))
    done = await ledger.import_assessments(path, duplicates="skip", batch_size=2)
    assert (done.imported, done.skipped) == (6, 4)
    again = tmp_path / "again.json"
    await ledger.export_assessments(again)
    assert json.loads(again.read_text())["assessments"] == doc["assessments"]


async def test_interrupted_import_is_completed_by_a_rerun(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(ledger, students=2, per_student=5)
    path = await _exported(ledger, tmp_path)
    await _wipe_assessments(ledger)
    real = importer._import_assessments
    calls = 0

    async def crash_on_third(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return await real(*args, **kwargs)

    monkeypatch.setattr(importer, "_import_assessments", crash_on_third)
    progress: list[tuple[int, int]] = []
    with pytest.raises(KeyboardInterrupt):
        await ledger.import_assessments(
            path, batch_size=3, progress=lambda d, t: progress.append((d, t))
        )
    assert progress == [(0, 10), (3, 10), (6, 10)]
    assert (await ledger.stats()).total_assessments == 6
    monkeypatch.setattr(importer, "_import_assessments", real)
    done = await ledger.import_assessments(path, duplicates="skip", batch_size=3)
    assert (done.imported, done.skipped, done.updated) == (4, 6, 0)
    assert (await ledger.stats()).total_evidence == 2 * (1 + 2 + 3 + 4 + 5)


async def test_import_refuses_ids_of_another_project(ledger: Ledger, tmp_path: Path) -> None:
    from evalledger.tenancy import service as tenancy
    from evalledger.uow import UnitOfWork

    await populate(ledger, students=1, per_student=2)
    path = await _exported(ledger, tmp_path)
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, "other")
    other = ledger.in_project(project.id)
    with pytest.raises(ConflictError, match="another project"):
        await other.import_assessments(path, duplicates="skip")


def _synthetic(n: int, student_id: str) -> dict[str, Any]:
    records = []
    for i in range(n):
        aid = str(uuid.uuid4())
        stamp = f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000001+00:00"
        records.append(
            {
                "id": aid,
                "student_id": student_id,
                "skill_type": "empathy",
                "score": 0.5,
                "confidence": 0.5,
                "reasoning": "x" * 200,
                "recommendations": None,
                "feature_importance": {"a": 1},
                "created_at": stamp,
                "updated_at": stamp,
                "evidence": [
                    {
                        "id": str(uuid.uuid4()),
                        "assessment_id": aid,
                        "evidence_type": "linguistic",
                        "source": "transcript",
                        "content": "y" * 200,
                        "relevance_score": 0.5,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                    for _ in range(3)
                ],
            }
        )
    return {"assessments": records}


async def test_export_memory_stays_flat_as_data_grows(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peak memory of an export of 1,600 assessments is that of one of 200 (chunks of 100)."""
    import tracemalloc

    monkeypatch.setattr(export, "EXPORT_CHUNK", 100)
    peaks = []
    for total in (200, 1600):
        await reset_tables(ledger.db)
        student = await ledger.create_student({"name": "Ann"})
        await ledger.import_assessments(
            importer.parse_backup(_synthetic(total, str(student.id))), batch_size=500
        )
        out = tmp_path / f"{total}.json"
        await ledger.export_assessments(out)  # warm caches
        tracemalloc.start()
        result = await ledger.export_assessments(out)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.total_assessments == total
    assert peaks[1] < peaks[0] * 1.5, peaks


async def test_students_after_the_assessments_are_imported_first(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A document listing its students after the assessments (or with no header) imports:
    students are found by an extra pass and written before the assessments."""
    await populate(ledger, students=2, per_student=3)
    path = await _exported(ledger, tmp_path)
    doc = json.loads(path.read_text())
    await reset_tables(ledger.db)
    path.write_text(json.dumps({"assessments": doc["assessments"], "students": doc["students"]}))
    result = await ledger.import_assessments(path, batch_size=4)
    assert (result.imported, result.students_imported, result.total) == (6, 2, 6)
    assert result.backup_timestamp is None
    again = await _exported(ledger, tmp_path, "again.json")
    assert json.loads(again.read_text())["assessments"] == doc["assessments"]

    path.write_text(json.dumps({"assessments": [], "students": {"not": "a list"}}))
    with pytest.raises(ValidationFailed, match="'students' must be a list"):
        await ledger.import_assessments(path)
    path.write_text(json.dumps({"students": [], "assessments": {}}))
    with pytest.raises(ValidationFailed, match="not an assessments backup"):
        await ledger.import_assessments(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ValidationFailed, match="not an assessments backup"):
        await ledger.import_assessments(path)


async def test_import_memory_stays_flat_as_the_file_grows(ledger: Ledger, tmp_path: Path) -> None:
    """The file is streamed: importing 1,600 assessments peaks like importing 200."""
    import tracemalloc

    peaks = []
    for total in (200, 1600):
        await reset_tables(ledger.db)
        student = await ledger.create_student({"name": "Ann"})
        path = tmp_path / f"{total}.json"
        path.write_text(json.dumps(_synthetic(total, str(student.id))))
        await ledger.import_assessments(path, batch_size=100)  # warm caches
        await _wipe_assessments(ledger)
        tracemalloc.start()
        result = await ledger.import_assessments(path, batch_size=100)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.imported == total
    assert peaks[1] < peaks[0] * 1.5, peaks


async def test_export_lines_equal_the_reference_encoding(ledger: Ledger, tmp_path: Path) -> None:
    """The export writes hand-made JSON lines from raw rows; they must equal json.dumps of
    the reference records (assessment_record / evidence_record over ORM-typed rows)."""
    from sqlalchemy import select

    from evalledger.assessments.repository import assessments_t, evidence_t

    await populate(ledger, students=2, per_student=5)
    path = await _exported(ledger, tmp_path)
    lines = [ln.strip().rstrip(",") for ln in path.read_text().splitlines()]
    async with ledger._read() as uow:
        rows = (
            await uow.session.execute(
                select(assessments_t).order_by(assessments_t.c.created_at, assessments_t.c.id)
            )
        ).mappings()
        expected = []
        for row in list(rows):
            ev = (
                await uow.session.execute(
                    select(evidence_t)
                    .where(evidence_t.c.assessment_id == row["id"])
                    .order_by(evidence_t.c.created_at, evidence_t.c.id)
                )
            ).mappings()
            record = export.assessment_record(row, [export.evidence_record(e) for e in ev])
            expected.append(export._dump(record))
    assert [ln for ln in lines if ln.startswith('{"id": ') and '"skill_type"' in ln] == expected


async def test_large_batches_take_the_copy_path(ledger: Ledger, tmp_path: Path) -> None:
    """Batches of >= 200 assessments go through COPY on PostgreSQL (bulk.insert_new); the
    batch's transaction must already be open when it does (it once was not: nothing was
    inserted and every record was reported as already existing)."""
    # Without row-level security (the default outside these tests), so that nothing but
    # the import's own statements opens the transaction.
    plain = await Ledger.open(
        settings=ledger.settings.model_copy(update={"pg_row_security": False})
    )
    try:
        student = await plain.create_student({"name": "Ann"})
        path = tmp_path / "big.json"
        path.write_text(json.dumps(_synthetic(600, str(student.id))))
        result = await plain.import_assessments(path, batch_size=300)
        assert (result.imported, result.skipped, result.total) == (600, 0, 600)
        stats = await plain.stats()
        assert (stats.total_assessments, stats.total_evidence) == (600, 1800)
        again = await plain.import_assessments(path, duplicates="skip", batch_size=300)
        assert (again.imported, again.skipped) == (0, 600)
    finally:
        await plain.close()


async def test_a_large_import_refreshes_the_planner_statistics(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a bulk import the tables are ANALYZEd (for real: the statement runs on the
    backend), so the next export is planned on what was loaded; a small one leaves it to
    autovacuum."""
    from evalledger.db import bulk

    analyzed: list[list[str]] = []

    async def spy(connection: Any, tables: Any) -> None:
        analyzed.append([t.name for t in tables])
        await bulk.analyze(connection, tables)

    monkeypatch.setattr(importer, "analyze", spy)
    await populate(ledger, students=2, per_student=3)
    path = await _exported(ledger, tmp_path)
    await _wipe_assessments(ledger)
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 7)
    assert (await ledger.import_assessments(path)).imported == 6
    assert analyzed == []
    await _wipe_assessments(ledger)
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 6)
    assert (await ledger.import_assessments(path)).imported == 6
    assert analyzed == [["students", "skill_assessments", "evidence"]]


async def test_new_assessment_whose_evidence_id_is_stored_writes_nothing_of_its_batch(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The importer trusts its own lookups and lets the bulk loader skip its: a new
    assessment carrying an evidence id stored under another assessment still fails its
    batch, naming the evidence (on PostgreSQL the COPY fails and the race-free path
    decides)."""
    await populate(ledger, students=1, per_student=4)
    path = await _exported(ledger, tmp_path)
    doc = json.loads(path.read_text())
    record = doc["assessments"][1]
    record["id"] = str(uuid.uuid4())
    for ev in record["evidence"]:
        ev["assessment_id"] = record["id"]
    path.write_text(json.dumps(doc))
    stored = record["evidence"][0]["id"]
    with pytest.raises(ConflictError, match=f"record 1 .*evidence 0 \\(id {stored}\\) already"):
        await ledger.import_assessments(path, duplicates="skip")
    assert (await ledger.stats()).total_assessments == 4
    # Without the colliding evidence the same file imports the one new assessment.
    record["evidence"] = []
    path.write_text(json.dumps(doc))
    result = await ledger.import_assessments(path, duplicates="skip")
    assert (result.imported, result.skipped) == (1, 3)
    assert (await ledger.get_assessment(uuid.UUID(record["id"]))).evidence == []
