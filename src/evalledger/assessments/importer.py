"""Import of assessments from seed 003's backup format (what :mod:`.export` writes).

Import streams the file (:func:`open_backup_file`, ijson): the head (header, students) is read
first, then the assessments a batch at a time, each batch validated with the API's schemas
and then written in one transaction, so memory stays flat however large the file is. A bad
record fails its batch (nothing of it written; earlier batches stay committed, and a re-run
with ``policy="skip"`` completes the import). An in-memory :class:`Backup` (validated by
:func:`parse_backup`) goes through the same batched writer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, delete, update
from sqlalchemy.exc import IntegrityError

from evalledger.assessments.repository import (
    StudentRepository,
    assessments_t,
    evidence_t,
    students_t,
)
from evalledger.assessments.schemas import (
    AssessmentRecord,
    DuplicatePolicy,
    ImportResult,
    StudentRecord,
)
from evalledger.db.bulk import COPY_MIN_ROWS, analyze, insert_new
from evalledger.db.engine import Database
from evalledger.db.repository import id_owners
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.runtime import gc_paused
from evalledger.uow import UnitOfWork

#: Assessments per export chunk (with their ~4.6 evidence rows each). Measured at 100k
#: assessments on PostgreSQL: 1,000 -> 33k rows/s, 2,000 -> 44k, 4,000 -> 46k but 163 MB
#: peak RSS instead of 130 MB; 2,000 keeps well under the 250 MB budget.
DEFAULT_BATCH_SIZE = 100
#: An import that writes at least this many assessments refreshes the tables' statistics.
ANALYZE_AFTER = 50_000

# -- import -----------------------------------------------------------------------------


@dataclass
class Backup:
    """A validated backup document."""

    assessments: list[AssessmentRecord]
    students: list[StudentRecord] = field(default_factory=list)
    export_timestamp: str | None = None
    source: str = ""


_STUDENT_LIST = TypeAdapter(list[StudentRecord])
_ASSESSMENT_LIST = TypeAdapter(list[AssessmentRecord])


def _ident(raw: Any) -> Any:
    return raw.get("id") if isinstance(raw, dict) else None


def _first_error(error: ValidationError) -> tuple[int, str]:
    """``(index in the validated list, "field: message")`` of a list validation's first error
    (errors come in list order, so this is the first bad record)."""
    first = error.errors()[0]
    index, *loc = first["loc"]
    return int(index), f"{'.'.join(str(p) for p in loc) or 'record'}: {first['msg']}"


def validate_students(raw: list[Any], offset: int = 0) -> list[StudentRecord]:
    """Validate student records (one list validation, not one call per record)."""
    try:
        return _STUDENT_LIST.validate_python(raw)
    except ValidationError as exc:
        i, detail = _first_error(exc)
        raise ValidationFailed(
            f"student record {offset + i} (id {_ident(raw[i])}): {detail}", field="students"
        ) from None


def validate_assessments(raw: list[Any], offset: int = 0) -> list[AssessmentRecord]:
    """Validate one batch of assessment records; ``offset`` is the first one's index in the
    file, so that errors name the record as the file numbers it."""
    try:
        records = _ASSESSMENT_LIST.validate_python(raw)
    except ValidationError as exc:
        i, detail = _first_error(exc)
        raise ValidationFailed(
            f"assessment record {offset + i} (id {_ident(raw[i])}): {detail}",
            field="assessments",
        ) from None
    seen: set[uuid.UUID] = set()
    for i, record in enumerate(records):
        ident = _ident(raw[i])
        if record.id in seen:
            raise ValidationFailed(
                f"assessment record {offset + i} (id {ident}): id appears twice in the file",
                field="assessments",
            )
        seen.add(record.id)
        for j, ev in enumerate(record.evidence):
            if ev.assessment_id != record.id:
                raise ValidationFailed(
                    f"assessment record {offset + i} (id {ident}): evidence {j} (id {ev.id}) "
                    f"names assessment {ev.assessment_id}",
                    field="assessments",
                )
    return records


def _not_a_backup(source: str) -> ValidationFailed:
    return ValidationFailed(
        f"{source or 'input'} is not an assessments backup: expected an object with an "
        "'assessments' list",
        field="assessments",
    )


def parse_backup(document: Any, source: str = "") -> Backup:
    """Validate a backup document (already parsed JSON), naming the first bad record."""
    if not isinstance(document, dict) or not isinstance(document.get("assessments"), list):
        raise _not_a_backup(source)
    raw_students = document.get("students") or []
    if not isinstance(raw_students, list):
        raise ValidationFailed("'students' must be a list", field="students")
    students = validate_students(raw_students)
    assessments = validate_assessments(document["assessments"])
    stamp_value = document.get("export_timestamp")
    return Backup(
        assessments=assessments,
        students=students,
        export_timestamp=str(stamp_value) if stamp_value is not None else None,
        source=source,
    )


def _not_json(path: Path, detail: Any) -> ValidationFailed:
    return ValidationFailed(f"input file {path} is not valid JSON: {detail}", field="input")


def _unreadable(path: Path, exc: OSError) -> ValidationFailed:
    """A backup file the caller named that cannot be opened: missing, a directory, a name
    too long for the file system, no permission."""
    shown = str(path) if len(str(path)) <= 300 else f"{str(path)[:300]}..."
    if isinstance(exc, FileNotFoundError):
        return ValidationFailed(f"input file {shown} does not exist", field="input")
    reason = exc.strerror or type(exc).__name__
    return ValidationFailed(f"input file {shown} cannot be read: {reason}", field="input")


def load_backup(path: str | Path) -> Backup:
    """Read and validate a whole backup file into memory (nothing is written).

    For files of any size prefer :func:`open_backup_file`, which streams."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    except json.JSONDecodeError as exc:
        raise _not_json(path, f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse_backup(document, str(path))


@dataclass
class BackupFile:
    """A backup file opened for a streamed import (:func:`open_backup_file`).

    Only the document's head is read: the keys before the ``assessments`` list (the header
    and, in evalledger's own exports, ``students``). The assessments are read afterwards, a
    batch at a time (:meth:`assessment_batches`), so memory does not grow with the file.
    """

    path: Path
    export_timestamp: str | None = None
    #: ``total_assessments`` as the file declares it (None if it does not, or says nonsense).
    declared_total: int | None = None
    students: list[StudentRecord] = field(default_factory=list)

    def assessment_batches(self, size: int) -> Iterator[tuple[int, list[AssessmentRecord]]]:
        """``(index of the first record, validated records)``, ``size`` records at a time."""
        with self.path.open("rb") as fh:
            items = ijson.items(fh, "assessments.item", use_float=True)
            offset = 0
            while True:
                with gc_paused():
                    try:
                        raw = list(itertools.islice(items, size))
                    except ijson.JSONError as exc:
                        raise _not_json(self.path, exc) from None
                    if not raw:
                        return
                    records = validate_assessments(raw, offset)
                yield offset, records
                offset += len(raw)


def _top_level(path: Path, fh: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` of the document's top-level keys, up to the ``assessments`` key,
    whose value is not read (it is yielded as ``...`` when it is a list)."""
    events = ijson.parse(fh, use_float=True)
    try:
        first = next(events, None)
        if first is None or first[1] != "start_map":
            raise _not_a_backup(str(path))
        key: str | None = None
        builder: ijson.ObjectBuilder | None = None
        for prefix, event, value in events:
            if prefix == "" and event in ("map_key", "end_map"):
                if builder is not None and key is not None:
                    yield key, builder.value
                key, builder = value, None
                if event == "end_map":
                    return
                continue
            if prefix == "assessments" and builder is None:
                if event != "start_array":
                    raise _not_a_backup(str(path))
                yield "assessments", ...
                return
            if builder is None:
                builder = ijson.ObjectBuilder()
            builder.event(event, value)
    except ijson.JSONError as exc:
        raise _not_json(path, exc) from None


def _read_students(path: Path, value: Any) -> list[StudentRecord]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationFailed("'students' must be a list", field="students")
    return validate_students(value)


def open_backup_file(path: str | Path) -> BackupFile:  # runs in a thread
    """Read a backup file's head: header values and students (see :class:`BackupFile`).

    Students listed *after* the assessments (evalledger writes them before) are found with
    one extra pass over the file, which builds nothing but the students list.
    """
    path = Path(path)
    head: dict[str, Any] = {}
    try:
        with path.open("rb") as fh:
            for key, value in _top_level(path, fh):
                head[key] = value
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if "assessments" not in head:
        raise _not_a_backup(str(path))
    backup = BackupFile(path)
    if "students" in head:
        backup.students = _read_students(path, head["students"])
    else:
        with path.open("rb") as fh:
            try:
                value = next(ijson.items(fh, "students", use_float=True), None)
            except ijson.JSONError as exc:
                raise _not_json(path, exc) from None
        backup.students = _read_students(path, value)
    stamp_value = head.get("export_timestamp")
    backup.export_timestamp = str(stamp_value) if stamp_value is not None else None
    total = head.get("total_assessments")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        backup.declared_total = total
    return backup


def _batches(items: list[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


Progress = Callable[[int, int], None]
OpenUnit = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def _insert_new(
    uow: UnitOfWork, table: Table, rows: list[dict[str, Any]], *, expect_new: bool = False
) -> set[Any]:
    """:func:`~evalledger.db.bulk.insert_new` for rows given as dicts (all with the same
    keys): the ids inserted.

    ``expect_new``: the caller has just looked the ids up (or they belong to assessments it
    found new), so the bulk loader's own lookup is skipped and, outside row-level security,
    even a batch of 100 goes through ``COPY``. A row stored meanwhile still makes the
    ``COPY`` fail and the race-free path decide (see :func:`~evalledger.db.bulk.start_insert_new`).
    Measured on PostgreSQL at 20,000 assessments: the ``INSERT`` of a batch's 100 assessments
    took as long as the ``COPY`` of its 460 evidence rows, and the evidence lookup a sixth of
    that ``COPY``.
    """
    if not rows:
        return set()
    columns = list(rows[0])
    row_security = uow.db.row_security and uow.tenant_scoped
    return await insert_new(
        uow.session,
        table,
        columns,
        [tuple(row[c] for c in columns) for row in rows],
        row_security=row_security,
        expect_new=expect_new,
        copy_min_rows=1 if expect_new and not row_security else COPY_MIN_ROWS,
    )


async def _import_students(
    uow: UnitOfWork, batch: list[StudentRecord], policy: DuplicatePolicy
) -> int:
    owners = await id_owners(uow, students_t, [s.id for s in batch])
    for s in batch:
        if s.id in owners and owners[s.id] != uow.project_id:
            raise ConflictError(f"student {s.id} belongs to another project", field="students")
    new = [s for s in batch if s.id not in owners]
    await _insert_new(
        uow,
        students_t,
        [
            {
                "id": s.id,
                "project_id": uow.project_id,
                "name": s.name,
                "external_id": s.external_id,
                "metadata": s.metadata,
                "created_at": s.created_at,
                "updated_at": s.updated_at,
            }
            for s in new
        ],
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
    await uow.audit_many("student", "import", [(s.id, {"name": s.name}) for s in new])
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
    known_students: set[uuid.UUID] | None = None,
) -> tuple[int, int, int]:
    """One batch; returns ``(imported, skipped, updated)``.

    ``known_students``: student ids of this project already seen to exist during this import
    (looked up once, not once per batch); the foreign key still guards every row.
    """
    index = {r.id: offset + i for i, r in enumerate(batch)}
    owners = await id_owners(uow, assessments_t, [r.id for r in batch])
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
    known = known_students if known_students is not None else set()
    unknown = {r.student_id for r in batch} - known
    if unknown:
        known |= await StudentRepository(uow).existing_ids(unknown)
        for r in batch:
            if r.student_id not in known:
                raise ValidationFailed(
                    f"assessment record {index[r.id]} (id {r.id}): student {r.student_id} does "
                    "not exist (and is not in the file's students list)",
                    field="student_id",
                )
    project = uow.project_id
    new = [r for r in batch if r.id not in owners]
    dups = [r for r in batch if r.id in owners]
    rows = []
    for r in new:
        values = _assessment_values(r)
        values["project_id"] = project
        rows.append(values)
    inserted = await _insert_new(uow, assessments_t, rows, expect_new=True)
    if len(inserted) != len(rows):  # written by someone else since the lookup above
        r = next(r for r in new if r.id not in inserted)
        raise ConflictError(
            f"assessment record {index[r.id]} (id {r.id}) was written concurrently by another "
            "import; re-run with --skip-duplicates",
            field="assessments",
        )
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
    evidence = [
        {
            "id": e.id,
            "project_id": project,
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
    ]
    stored = await _insert_new(uow, evidence_t, evidence, expect_new=True)
    if len(stored) != len(evidence):
        for r in written:
            for j, e in enumerate(r.evidence):
                if e.id not in stored:
                    raise ConflictError(
                        f"assessment record {index[r.id]} (id {r.id}): evidence {j} (id {e.id}) "
                        "already exists (nothing of this batch was written)",
                        field="assessments",
                    )
    await uow.audit_many(
        "skill_assessment", "import", [(r.id, {"student_id": str(r.student_id)}) for r in new]
    )
    if policy == "update":
        await uow.audit_many(
            "skill_assessment",
            "import_update",
            [(r.id, {"student_id": str(r.student_id)}) for r in dups],
        )
        return len(new), 0, len(dups)
    return len(new), len(dups), 0


async def import_backup(
    open_unit: OpenUnit,
    backup: Backup | BackupFile,
    *,
    policy: DuplicatePolicy = "error",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportResult:
    """Write ``backup`` in batches of ``batch_size``, each batch one transaction.

    Students first (all of them), then assessments. A :class:`BackupFile` is read and
    validated a batch at a time (in a worker thread) and each batch written before the next
    is read, so memory stays flat however large the file is. A failing batch (a
    malformed record, a duplicate, a missing student) writes nothing; the batches before it
    stay committed, so re-running the same import with ``policy="skip"`` completes it.
    """
    if batch_size < 1:
        raise ValidationFailed("batch size must be at least 1", field="batch_size")
    if isinstance(backup, Backup):
        declared: int | None = len(backup.assessments)
        batches: Iterator[tuple[int, list[AssessmentRecord]]] = _batches(
            backup.assessments, batch_size
        )
        threaded = False
    else:
        declared = backup.declared_total
        batches = backup.assessment_batches(batch_size)
        threaded = True
    result = ImportResult(total=declared or 0, backup_timestamp=backup.export_timestamp)
    if progress:
        progress(0, declared or 0)
    known: set[uuid.UUID] = set()
    for _, students in _batches(backup.students, batch_size):
        async with open_unit() as uow:
            result.students_imported += await _import_students(uow, students, policy)
        known.update(s.id for s in students)
    done = 0
    try:
        while True:
            # A file's next batch is read and validated in a worker thread, so the event loop
            # stays free; not overlapped with the write (measured: the GIL made that slower).
            item = await asyncio.to_thread(next, batches, None) if threaded else next(batches, None)
            if item is None:
                break
            offset, batch = item
            try:
                with gc_paused():
                    async with open_unit() as uow:
                        imported, skipped, updated = await _import_assessments(
                            uow, offset, batch, policy, known
                        )
            except ConflictError as exc:
                cause = exc.__cause__
                if not isinstance(cause, IntegrityError):  # a rule of the import, not the data
                    raise
                raise ConflictError(
                    f"assessment records {offset}..{offset + len(batch) - 1} conflict with "
                    f"stored data (nothing of this batch was written): {str(cause.orig)[:300]}",
                    field="assessments",
                ) from cause
            result.imported += imported
            result.skipped += skipped
            result.updated += updated
            done = offset + len(batch)
            if progress:
                progress(done, max(declared or 0, done))
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    result.total = done
    return result


async def refresh_statistics(db: Database, result: ImportResult) -> None:
    """``ANALYZE`` the assessment tables after a large import (:data:`ANALYZE_AFTER`), as
    after a ``pg_restore``: autovacuum would get there eventually, but reads in between
    (an export, ``verify``) would be planned on the statistics of the tables before it."""
    if result.imported + result.updated < ANALYZE_AFTER:
        return
    async with db.write_connection() as conn:
        await analyze(conn, (students_t, assessments_t, evidence_t))
