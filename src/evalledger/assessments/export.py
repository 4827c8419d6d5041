"""Export of assessments in seed 003's backup format (and the server-side backup file).

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
an exported assessment refers to), so an import into an empty database works. The reader is
:mod:`evalledger.assessments.importer`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, select, type_coerce
from sqlalchemy.types import NullType

from evalledger.assessments.repository import (
    assessments_t,
    evidence_t,
    filtered_assessments,
    students_t,
)
from evalledger.assessments.schemas import (
    BackupResult,
    ExportFilters,
    ExportResult,
)
from evalledger.assessments.service import parse_bound
from evalledger.db.repository import past_key
from evalledger.db.types import utcnow
from evalledger.files import new_file, storage_errors
from evalledger.tenancy.models import Project
from evalledger.uow import UnitOfWork

#: Assessments per export chunk (with their ~4.6 evidence rows each). Measured at 100k
#: assessments on PostgreSQL: 1,000 -> 33k rows/s, 2,000 -> 44k, 4,000 -> 46k but 163 MB
#: peak RSS instead of 130 MB; 2,000 keeps well under the 250 MB budget.
EXPORT_CHUNK = 2000

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


def _processed_key(row: Any) -> tuple[datetime, uuid.UUID]:
    return row.created_at, row.id


async def _keyset(
    uow: UnitOfWork,
    base: Any,
    table: Any,
    key_of: Callable[[Any], tuple[datetime, uuid.UUID]] = _processed_key,
) -> AsyncIterator[list[Any]]:
    """Chunks of ``base``'s rows ordered by ``(created_at, id)``, read by keyset; ``key_of``
    gives a row's ``(created_at, id)`` as Python values."""
    created, ident = table.c.created_at, table.c.id
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        stmt = base.order_by(created, ident).limit(EXPORT_CHUNK)
        if last is not None:
            stmt = stmt.where(past_key(created, ident, last[0], last[1], descending=False))
        rows = list((await uow.session.execute(stmt)).all())
        if not rows:
            return
        yield rows
        last = key_of(rows[-1])


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


def _raw_key(row: Any) -> tuple[datetime, uuid.UUID]:
    """``(created_at, id)`` of a raw assessment row (:data:`_ASSESSMENT_COLUMNS` order)."""
    at = row[8]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at, uuid.UUID(str(row[0]))


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
    overwrite: bool = True,
) -> None:
    """Header, then the two streamed lists, into a hidden temporary file; then publish it.

    ``overwrite=False`` (server backups) never replaces an existing file; see
    :mod:`evalledger.files`.
    """
    with new_file(output, overwrite=overwrite) as raw:
        out = io.TextIOWrapper(raw, "utf-8")  # detached below: new_file closes the file
        out.write("{\n")
        for key, value in header.items():
            out.write(f"  {_dump(key)}: {_dump(value)},\n")
        out.write('  "students": ')
        _write_list(out, *students)
        out.write(',\n  "assessments": ')
        _write_list(out, *assessments)
        out.write("\n}\n")
        out.flush()
        out.detach()


def _write_list(target: IO[str], source: IO[str], count: int) -> None:
    source.seek(0)
    target.write("[" if count else "[]")
    while block := source.read(1 << 16):
        target.write(block)
    if count:
        target.write("\n  ]")


async def export_assessments(
    uow: UnitOfWork,
    output: str | Path,
    filters: ExportFilters | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    overwrite: bool = True,
) -> ExportResult:
    """Write the project's assessments matching ``filters`` to ``output`` (streamed).

    ``progress`` receives the number of assessments written so far after each batch.
    File-system failures raise :class:`~evalledger.files.StorageError` naming the file.
    """
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
    where = str(output)
    with storage_errors(where):
        await asyncio.to_thread(output.parent.mkdir, parents=True, exist_ok=True)
    n_assessments = n_students = 0
    # File work runs in a thread, so a large export never blocks the server's event loop.
    with storage_errors(where):
        tmp_a = await asyncio.to_thread(_scratch, output.parent)
        tmp_s = await asyncio.to_thread(_scratch, output.parent)
    try:
        at = _stamper()
        raw = base.with_only_columns(*_raw(assessments_t, _ASSESSMENT_COLUMNS))
        async for rows in _keyset(uow, raw, assessments_t, _raw_key):
            evidence = await _raw_evidence(uow, [r[0] for r in rows], at)
            chunk = []
            for row in rows:
                chunk.append(("," if n_assessments else "") + "\n    ")
                chunk.append(_assessment_line(row, evidence[row[0]], at))
                n_assessments += 1
            with storage_errors(where):
                await asyncio.to_thread(tmp_a.write, "".join(chunk))
            if progress is not None:
                progress(n_assessments)
        referenced = base.with_only_columns(assessments_t.c.student_id).distinct()
        students = select(students_t).where(
            students_t.c.project_id == uow.project_id, students_t.c.id.in_(referenced)
        )
        async for rows in _keyset(uow, students, students_t):
            chunk = []
            for row in rows:
                chunk.append(("," if n_students else "") + "\n    ")
                chunk.append(_dump(student_record(row._mapping)))
                n_students += 1
            with storage_errors(where):
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
        with storage_errors(where):
            await asyncio.to_thread(
                _assemble, output, header, (tmp_s, n_students), (tmp_a, n_assessments), overwrite
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


def backup_name(project: str, now: datetime) -> str:
    """``assessments_backup_YYYYMMDD_HHMMSS_<project>_<8 hex>.json``: no two alike.

    The seed's prefix and second-resolution time, then the project (so a folder shared by
    projects says whose file is whose) and a random part (so two backups in one second, from
    any number of servers, never share a name).
    """
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", project).strip("-")[:40] or "project"
    return f"assessments_backup_{now:%Y%m%d_%H%M%S}_{slug}_{secrets.token_hex(4)}.json"


async def _project_name(uow: UnitOfWork) -> str:
    projects = Project.__table__
    name = await uow.session.scalar(select(projects.c.name).where(projects.c.id == uow.project_id))
    return str(name) if name else str(uow.project_id)[:8]


async def backup_assessments(uow: UnitOfWork, exports_dir: Path) -> BackupResult:
    """Write the project's assessments into ``exports_dir`` under a new, unique name.

    The file appears whole or not at all, and never replaces another backup.
    """
    name = backup_name(await _project_name(uow), utcnow())
    with storage_errors(f"a backup into {exports_dir}"):
        path = (await asyncio.to_thread(Path(exports_dir).resolve)) / name
    result = await export_assessments(uow, path, overwrite=False)
    return BackupResult(
        success=True,
        backup_file=str(path),
        total_assessments=result.total_assessments,
        timestamp=result.export_timestamp,
    )
