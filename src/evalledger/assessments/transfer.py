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

Import streams the file (:func:`open_backup_file`, ijson): the head (header, students) is read
first, then the assessments a batch at a time, each batch validated with the API's schemas
and then written in one transaction, so memory stays flat however large the file is. A bad
record fails its batch (nothing of it written; earlier batches stay committed, and a re-run
with ``policy="skip"`` completes the import). An in-memory :class:`Backup` (validated by
:func:`parse_backup`) goes through the same batched writer.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, delete, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import NullType

from evalledger.assessments.repository import (
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
from evalledger.db.dialect import insert_new
from evalledger.db.repository import id_owners, past_key
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.uow import UnitOfWork

#: Assessments per export chunk (with their ~4.6 evidence rows each). Measured at 100k
#: assessments on PostgreSQL: 1,000 -> 33k rows/s, 2,000 -> 44k, 4,000 -> 46k but 163 MB
#: peak RSS instead of 130 MB; 2,000 keeps well under the 250 MB budget.
EXPORT_CHUNK = 2000
DEFAULT_BATCH_SIZE = 100

# -- canonical values -------------------------------------------------------------------


def stamp(value: datetime) -> str:
    if value.tzinfo is UTC:  # as asyncpg and UTCDateTime return them
        return value.isoformat(timespec="microseconds")
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


# The bulk of an export (assessments and their evidence) is read as the driver returns it,
# without SQLAlchemy's per-value result processing, and written with hand-made JSON lines:
# json.dumps of a dict per row, datetime parsing and re-formatting were most of the export's
# time. The text is byte-identical to _dump(assessment_record(...)) (tested by the
# round-trip across backends and tests/integration/test_assessments_transfer.py).

_ASSESSMENT_COLUMNS = (
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
)
_EVIDENCE_COLUMNS = (
    "id",
    "assessment_id",
    "evidence_type",
    "source",
    "content",
    "relevance_score",
    "created_at",
    "updated_at",
)
_text = json.encoder.encode_basestring  # C; json.dumps' own


def _raw(table: Table, names: tuple[str, ...]) -> list[Any]:
    return [type_coerce(table.c[n], NullType()).label(n) for n in names]


def _raw_uuid(value: Any) -> str:
    text = str(value)
    if len(text) == 32:  # SQLite stores a Uuid as 32 hex digits
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _raw_stamp(value: Any) -> str:
    """:func:`stamp` of a timestamp as the driver returns it."""
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    return stamp(value)


def _raw_json(value: Any) -> str:
    """A JSON column's value (text on both drivers when read raw), canonical."""
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)


def _stamper() -> Callable[[Any], str]:
    """:func:`_raw_stamp`, remembering the last few hundred values (an assessment's
    evidence usually shares its timestamps)."""
    cache: dict[Any, str] = {}

    def at(value: Any) -> str:
        try:
            return cache[value]
        except KeyError:
            if len(cache) > 512:
                cache.clear()
            text = cache[value] = _raw_stamp(value)
            return text

    return at


def _evidence_line(row: Any, at: Callable[[Any], str]) -> str:
    ident, assessment, kind, source, content, relevance, created, updated = row
    return (
        f'{{"id": "{_raw_uuid(ident)}", "assessment_id": "{_raw_uuid(assessment)}", '
        f'"evidence_type": {_text(kind)}, "source": {_text(source)}, '
        f'"content": {_text(content)}, "relevance_score": {_number(relevance)}, '
        f'"created_at": "{at(created)}", "updated_at": "{at(updated)}"}}'
    )


def _number(value: Any) -> str:
    text = repr(float(value))
    if text in _NOT_JSON:  # as json.dumps(..., allow_nan=False)
        raise ValueError(f"Out of range float values are not JSON compliant: {text}")
    return text


_NOT_JSON = frozenset({"nan", "inf", "-inf"})


def _assessment_line(row: Any, evidence: list[str], at: Callable[[Any], str]) -> str:
    ident, student, skill, score, confidence, reasoning, recs, features, created, updated = row
    return (
        f'{{"id": "{_raw_uuid(ident)}", "student_id": "{_raw_uuid(student)}", '
        f'"skill_type": {_text(skill)}, "score": {_number(score)}, '
        f'"confidence": {_number(confidence)}, '
        f'"reasoning": {"null" if reasoning is None else _text(reasoning)}, '
        f'"recommendations": {"null" if recs is None else _text(recs)}, '
        f'"feature_importance": {"null" if features is None else _raw_json(features)}, '
        f'"created_at": "{at(created)}", "updated_at": "{at(updated)}", '
        f'"evidence": [{", ".join(evidence)}]}}'
    )


async def _raw_chunks(uow: UnitOfWork, base: Any) -> AsyncIterator[list[Any]]:
    """Chunks of raw assessment rows (tuples in :data:`_ASSESSMENT_COLUMNS` order), by keyset
    over ``(created_at, id)``."""
    created, ident = assessments_t.c.created_at, assessments_t.c.id
    base = base.with_only_columns(*_raw(assessments_t, _ASSESSMENT_COLUMNS))
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        stmt = base.order_by(created, ident).limit(EXPORT_CHUNK)
        if last is not None:
            stmt = stmt.where(past_key(created, ident, last[0], last[1], descending=False))
        rows = list((await uow.session.execute(stmt)).all())
        if not rows:
            return
        yield rows
        at = rows[-1][8]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        last = (at, uuid.UUID(str(rows[-1][0])))


async def _raw_evidence(
    uow: UnitOfWork, ids: list[Any], at: Callable[[Any], str]
) -> dict[Any, list[str]]:
    """``{raw assessment id: [evidence JSON text]}`` for the assessments ``ids`` (raw)."""
    stmt = (
        select(*_raw(evidence_t, _EVIDENCE_COLUMNS))
        .where(evidence_t.c.assessment_id.in_([uuid.UUID(str(i)) for i in ids]))
        .order_by(evidence_t.c.assessment_id, evidence_t.c.created_at, evidence_t.c.id)
    )
    out: dict[Any, list[str]] = {i: [] for i in ids}
    for row in (await uow.session.execute(stmt)).all():
        out[row[1]].append(_evidence_line(row, at))
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
        at = _stamper()
        async for rows in _raw_chunks(uow, base):
            evidence = await _raw_evidence(uow, [r[0] for r in rows], at)
            chunk = []
            for row in rows:
                chunk.append(("," if n_assessments else "") + "\n    ")
                chunk.append(_assessment_line(row, evidence[row[0]], at))
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


def load_backup(path: str | Path) -> Backup:
    """Read and validate a whole backup file into memory (nothing is written).

    For files of any size prefer :func:`open_backup_file`, which streams."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
    except FileNotFoundError:
        raise ValidationFailed(f"input file {path} does not exist", field="input") from None
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
    except FileNotFoundError:
        raise ValidationFailed(f"input file {path} does not exist", field="input") from None
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for one batch.

    A batch allocates thousands of short-lived containers (parsed records, models, row
    dicts), which trigger collections that also walk every long-lived object of the process;
    measured on a 20k-assessment import, that was about a quarter of its CPU time. The
    batch's garbage is freed by reference counting anyway; collection resumes between
    batches.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _batches(items: list[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


Progress = Callable[[int, int], None]
OpenUnit = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def _import_students(
    uow: UnitOfWork, batch: list[StudentRecord], policy: DuplicatePolicy
) -> int:
    owners = await id_owners(uow, students_t, [s.id for s in batch])
    for s in batch:
        if s.id in owners and owners[s.id] != uow.project_id:
            raise ConflictError(f"student {s.id} belongs to another project", field="students")
    new = [s for s in batch if s.id not in owners]
    await insert_new(
        uow.session,
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
    # This lookup must stay the batch's first statement: it goes through SQLAlchemy, which is
    # what opens the driver's transaction. insert_new's PostgreSQL COPY path talks to the
    # asyncpg connection directly; run first, it would execute outside any transaction
    # (autocommit; the staging table's ON COMMIT DELETE ROWS then empties it before the
    # INSERT ... SELECT, so nothing is inserted; seen with batches of >= 200).
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
    inserted = await insert_new(uow.session, assessments_t, rows)
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
    stored = await insert_new(uow.session, evidence_t, evidence)
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
    # Objects that exist before the import (modules, metadata, caches: most of the heap) are
    # left out of the collector's full passes while it runs (see gc_paused).
    gc.freeze()
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
            except IntegrityError as exc:
                raise ConflictError(
                    f"assessment records {offset}..{offset + len(batch) - 1} conflict with "
                    f"stored data (nothing of this batch was written): {str(exc.orig)[:300]}",
                    field="assessments",
                ) from None
            result.imported += imported
            result.skipped += skipped
            result.updated += updated
            done = offset + len(batch)
            if progress:
                progress(done, max(declared or 0, done))
    finally:
        gc.unfreeze()
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    result.total = done
    return result
