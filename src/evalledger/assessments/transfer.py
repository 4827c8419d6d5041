"""Export and import of assessments in seed 003's backup format.

Export streams: assessments are read in keyset chunks of :data:`EXPORT_CHUNK` (ordered by
``(created_at, id)``) with their evidence, and written as they are read, so memory stays flat
however large the table grows. Everything is read in one read-only transaction. The document
is assembled in the output's folder and moved into place at the end, so a reader never sees a
half-written file and ``total_assessments`` is exactly the number of records written.

The document is canonical, so that an export, an import into another backend and a second
export give identical files (except ``export_timestamp``): timestamps are UTC ISO-8601 with
microseconds (``2024-11-29T12:34:56.789000+00:00``), floats are Python's shortest round-trip
form, JSON values have their keys sorted, records are ordered by ``(created_at, id)``.

Beyond the seed's keys the document carries ``total_students`` and ``students`` (every student
an exported assessment refers to), so an import into an empty database works.

Import validates the whole file with the API's schemas before writing anything, then writes
students and assessments in batches, each batch one transaction.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from evalledger.assessments.repository import (
    AssessmentRepository,
    EvidenceRepository,
    StudentRepository,
    assessments_t,
    evidence_t,
    filtered_assessments,
    students_t,
)
from evalledger.assessments.schemas import (
    AssessmentRecord,
    BackupResult,
    DuplicatePolicy,
    ExportFilters,
    ExportResult,
    ImportResult,
    StudentRecord,
)
from evalledger.assessments.service import parse_bound
from evalledger.db.repository import id_owners, past_key
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.uow import UnitOfWork

EXPORT_CHUNK = 1000
DEFAULT_BATCH_SIZE = 100

# -- canonical values -------------------------------------------------------------------


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(value: Any) -> Any:
    """JSON values with keys sorted at every level (JSONB reorders keys; SQLite does not)."""
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def student_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "external_id": row["external_id"],
        "metadata": canonical(row["metadata"] or {}),
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
    }


def evidence_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "assessment_id": str(row["assessment_id"]),
        "evidence_type": row["evidence_type"],
        "source": row["source"],
        "content": row["content"],
        "relevance_score": float(row["relevance_score"]),
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
    }


def assessment_record(row: Mapping[Any, Any], evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "student_id": str(row["student_id"]),
        "skill_type": row["skill_type"],
        "score": float(row["score"]),
        "confidence": float(row["confidence"]),
        "reasoning": row["reasoning"],
        "recommendations": row["recommendations"],
        "feature_importance": canonical(row["feature_importance"]),
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
        "evidence": evidence,
    }


def _dump(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


# -- export -----------------------------------------------------------------------------


async def _keyset(uow: UnitOfWork, base: Any, table: Any) -> AsyncIterator[list[Any]]:
    """Chunks of ``base`` ordered by ``(created_at, id)``, read by keyset."""
    created, ident = table.c.created_at, table.c.id
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        stmt = base.order_by(created, ident).limit(EXPORT_CHUNK)
        if last is not None:
            stmt = stmt.where(past_key(created, ident, last[0], last[1], descending=False))
        rows = list((await uow.session.execute(stmt)).mappings())
        if not rows:
            return
        yield rows
        last = (rows[-1]["created_at"], rows[-1]["id"])


async def _evidence_for(uow: UnitOfWork, ids: list[uuid.UUID]) -> dict[Any, list[Any]]:
    stmt = (
        select(evidence_t)
        .where(evidence_t.c.assessment_id.in_(ids))
        .order_by(evidence_t.c.assessment_id, evidence_t.c.created_at, evidence_t.c.id)
    )
    out: dict[Any, list[Any]] = {i: [] for i in ids}
    for row in (await uow.session.execute(stmt)).mappings():
        out[row["assessment_id"]].append(evidence_record(row))
    return out


def _scratch(folder: Path) -> IO[str]:
    return tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder)


def _assemble(
    output: Path,
    header: dict[str, Any],
    students: tuple[IO[str], int],
    assessments: tuple[IO[str], int],
) -> None:
    """Header, then the two streamed lists, into ``output.partial``; then move it in place."""
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f"  {_dump(key)}: {_dump(value)},\n")
        out.write('  "students": ')
        _write_list(out, *students)
        out.write(',\n  "assessments": ')
        _write_list(out, *assessments)
        out.write("\n}\n")
    os.replace(partial, output)


def _write_list(target: IO[str], source: IO[str], count: int) -> None:
    source.seek(0)
    target.write("[" if count else "[]")
    while block := source.read(1 << 16):
        target.write(block)
    if count:
        target.write("\n  ]")


async def export_assessments(
    uow: UnitOfWork, output: str | Path, filters: ExportFilters | None = None
) -> ExportResult:
    """Write the project's assessments matching ``filters`` to ``output`` (streamed)."""
    filters = filters or ExportFilters()
    output = Path(output)
    start = parse_bound(filters.start_date, end=False, field="start_date")
    end = parse_bound(filters.end_date, end=True, field="end_date")
    base = filtered_assessments(
        uow.project_id,
        student_id=filters.student_id,
        skill_type=filters.skill_type,
        start=start,
        end=end,
    )
    exported_at = stamp(utcnow())
    await asyncio.to_thread(output.parent.mkdir, parents=True, exist_ok=True)
    n_assessments = n_students = 0
    # File work runs in a thread, so a large export never blocks the server's event loop.
    tmp_a = await asyncio.to_thread(_scratch, output.parent)
    tmp_s = await asyncio.to_thread(_scratch, output.parent)
    try:
        async for rows in _keyset(uow, base, assessments_t):
            evidence = await _evidence_for(uow, [r["id"] for r in rows])
            chunk = []
            for row in rows:
                chunk.append(("," if n_assessments else "") + "\n    ")
                chunk.append(_dump(assessment_record(row, evidence[row["id"]])))
                n_assessments += 1
            await asyncio.to_thread(tmp_a.write, "".join(chunk))
        referenced = base.with_only_columns(assessments_t.c.student_id).distinct()
        students = select(students_t).where(
            students_t.c.project_id == uow.project_id, students_t.c.id.in_(referenced)
        )
        async for rows in _keyset(uow, students, students_t):
            chunk = []
            for row in rows:
                chunk.append(("," if n_students else "") + "\n    ")
                chunk.append(_dump(student_record(row)))
                n_students += 1
            await asyncio.to_thread(tmp_s.write, "".join(chunk))
        header = {
            "export_timestamp": exported_at,
            "export_filters": {
                "student_id": str(filters.student_id) if filters.student_id else None,
                "skill_type": filters.skill_type,
                "start_date": filters.start_date,
                "end_date": filters.end_date,
            },
            "total_assessments": n_assessments,
            "total_students": n_students,
        }
        await asyncio.to_thread(
            _assemble, output, header, (tmp_s, n_students), (tmp_a, n_assessments)
        )
    finally:
        tmp_a.close()
        tmp_s.close()
    return ExportResult(
        output=str(output),
        total_assessments=n_assessments,
        total_students=n_students,
        export_timestamp=exported_at,
    )


def backup_path(exports_dir: Path, now: datetime) -> Path:  # runs in a thread
    """``assessments_backup_YYYYMMDD_HHMMSS.json`` in ``exports_dir`` (``_2``... if taken)."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    name = f"assessments_backup_{now:%Y%m%d_%H%M%S}"
    path = exports_dir / f"{name}.json"
    n = 1
    while path.exists():
        n += 1
        path = exports_dir / f"{name}_{n}.json"
    return path


async def backup_assessments(uow: UnitOfWork, exports_dir: Path) -> BackupResult:
    path = (await asyncio.to_thread(backup_path, exports_dir, utcnow())).resolve()
    result = await export_assessments(uow, path)
    return BackupResult(
        success=True,
        backup_file=str(path),
        total_assessments=result.total_assessments,
        timestamp=result.export_timestamp,
    )


# -- import -----------------------------------------------------------------------------


@dataclass
class Backup:
    """A validated backup document."""

    assessments: list[AssessmentRecord]
    students: list[StudentRecord] = field(default_factory=list)
    export_timestamp: str | None = None
    source: str = ""


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "record"
    return f"{loc}: {first['msg']}"


def parse_backup(document: Any, source: str = "") -> Backup:
    """Validate a backup document (already parsed JSON), naming the first bad record."""
    if not isinstance(document, dict) or not isinstance(document.get("assessments"), list):
        raise ValidationFailed(
            f"{source or 'input'} is not an assessments backup: expected an object with an "
            "'assessments' list",
            field="assessments",
        )
    raw_students = document.get("students") or []
    if not isinstance(raw_students, list):
        raise ValidationFailed("'students' must be a list", field="students")
    students: list[StudentRecord] = []
    for i, raw in enumerate(raw_students):
        try:
            students.append(StudentRecord.model_validate(raw))
        except ValidationError as exc:
            ident = raw.get("id") if isinstance(raw, dict) else None
            raise ValidationFailed(
                f"student record {i} (id {ident}): {_describe(exc)}", field="students"
            ) from None
    assessments: list[AssessmentRecord] = []
    seen: set[uuid.UUID] = set()
    for i, raw in enumerate(document["assessments"]):
        ident = raw.get("id") if isinstance(raw, dict) else None
        try:
            record = AssessmentRecord.model_validate(raw)
        except ValidationError as exc:
            raise ValidationFailed(
                f"assessment record {i} (id {ident}): {_describe(exc)}", field="assessments"
            ) from None
        if record.id in seen:
            raise ValidationFailed(
                f"assessment record {i} (id {ident}): id appears twice in the file",
                field="assessments",
            )
        seen.add(record.id)
        for j, ev in enumerate(record.evidence):
            if ev.assessment_id != record.id:
                raise ValidationFailed(
                    f"assessment record {i} (id {ident}): evidence {j} (id {ev.id}) names "
                    f"assessment {ev.assessment_id}",
                    field="assessments",
                )
        assessments.append(record)
    stamp_value = document.get("export_timestamp")
    return Backup(
        assessments=assessments,
        students=students,
        export_timestamp=str(stamp_value) if stamp_value is not None else None,
        source=source,
    )


def load_backup(path: str | Path) -> Backup:
    """Read and validate a backup file (nothing is written)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
    except FileNotFoundError:
        raise ValidationFailed(f"input file {path} does not exist", field="input") from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"input file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}",
            field="input",
        ) from None
    return parse_backup(document, str(path))


def _batches(items: list[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


Progress = Callable[[int, int], None]
OpenUnit = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def _import_students(
    uow: UnitOfWork, batch: list[StudentRecord], policy: DuplicatePolicy
) -> int:
    repo = StudentRepository(uow)
    owners = await id_owners(uow, students_t, [s.id for s in batch])
    for s in batch:
        if s.id in owners and owners[s.id] != uow.project_id:
            raise ConflictError(f"student {s.id} belongs to another project", field="students")
    new = [s for s in batch if s.id not in owners]
    await repo.bulk_insert(
        {
            "id": s.id,
            "name": s.name,
            "external_id": s.external_id,
            "metadata": s.metadata,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }
        for s in new
    )
    if policy == "update":
        for s in batch:
            if s.id in owners:
                await uow.session.execute(
                    update(students_t)
                    .where(students_t.c.id == s.id)
                    .values(
                        name=s.name,
                        external_id=s.external_id,
                        metadata=s.metadata,
                        created_at=s.created_at,
                        updated_at=s.updated_at,
                    )
                )
    for s in new:
        uow.audit("student", s.id, "import", {"name": s.name})
    return len(new)


def _assessment_values(r: AssessmentRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "student_id": r.student_id,
        "skill_type": r.skill_type,
        "score": r.score,
        "confidence": r.confidence,
        "reasoning": r.reasoning,
        "recommendations": r.recommendations,
        "feature_importance": r.feature_importance,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


async def _import_assessments(
    uow: UnitOfWork,
    offset: int,
    batch: list[AssessmentRecord],
    policy: DuplicatePolicy,
) -> tuple[int, int, int]:
    """One batch; returns ``(imported, skipped, updated)``."""
    repo = AssessmentRepository(uow)
    index = {r.id: offset + i for i, r in enumerate(batch)}
    owners = await repo.owners([r.id for r in batch])
    for r in batch:
        if r.id in owners and owners[r.id] != uow.project_id:
            raise ConflictError(
                f"assessment record {index[r.id]} (id {r.id}): the id belongs to another project",
                field="assessments",
            )
    if policy == "error":
        for r in batch:
            if r.id in owners:
                raise ConflictError(
                    f"assessment record {index[r.id]} (id {r.id}) already exists; use "
                    "--skip-duplicates or --update-duplicates",
                    field="assessments",
                )
    known = await StudentRepository(uow).existing_ids(r.student_id for r in batch)
    for r in batch:
        if r.student_id not in known:
            raise ValidationFailed(
                f"assessment record {index[r.id]} (id {r.id}): student {r.student_id} does not "
                "exist (and is not in the file's students list)",
                field="student_id",
            )
    new = [r for r in batch if r.id not in owners]
    dups = [r for r in batch if r.id in owners]
    await repo.bulk_insert(_assessment_values(r) for r in new)
    if policy == "update" and dups:
        for r in dups:
            values = _assessment_values(r)
            del values["id"]
            await uow.session.execute(
                update(assessments_t).where(assessments_t.c.id == r.id).values(**values)
            )
        await uow.session.execute(
            delete(evidence_t).where(evidence_t.c.assessment_id.in_([r.id for r in dups]))
        )
    written = new + (dups if policy == "update" else [])
    await EvidenceRepository(uow).bulk_insert(
        {
            "id": e.id,
            "assessment_id": r.id,
            "evidence_type": e.evidence_type,
            "source": e.source,
            "content": e.content,
            "relevance_score": e.relevance_score,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
        }
        for r in written
        for e in r.evidence
    )
    for r in new:
        uow.audit("skill_assessment", r.id, "import", {"student_id": str(r.student_id)})
    if policy == "update":
        for r in dups:
            uow.audit("skill_assessment", r.id, "import_update", {"student_id": str(r.student_id)})
        return len(new), 0, len(dups)
    return len(new), len(dups), 0


async def import_backup(
    open_unit: OpenUnit,
    backup: Backup,
    *,
    policy: DuplicatePolicy = "error",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportResult:
    """Write ``backup`` in batches of ``batch_size``, each batch one transaction.

    A failing batch writes nothing; the batches before it stay committed, so re-running the
    same import with ``policy="skip"`` completes it.
    """
    if batch_size < 1:
        raise ValidationFailed("batch size must be at least 1", field="batch_size")
    total = len(backup.assessments)
    result = ImportResult(total=total, backup_timestamp=backup.export_timestamp)
    if progress:
        progress(0, total)
    for _, students in _batches(backup.students, batch_size):
        async with open_unit() as uow:
            added = await _import_students(uow, students, policy)
        result.students_imported += added
    for offset, batch in _batches(backup.assessments, batch_size):
        try:
            async with open_unit() as uow:
                imported, skipped, updated = await _import_assessments(uow, offset, batch, policy)
        except IntegrityError as exc:
            raise ConflictError(
                f"assessment records {offset}..{offset + len(batch) - 1} conflict with stored "
                f"data (nothing of this batch was written): {str(exc.orig)[:300]}",
                field="assessments",
            ) from None
        result.imported += imported
        result.skipped += skipped
        result.updated += updated
        if progress:
            progress(offset + len(batch), total)
    return result
