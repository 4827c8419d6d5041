"""The assessments hooks over HTTP (the declared operations are in :mod:`.operations`):
same names and return types as the Ledger's.

Export downloads the server's document into a local file; import reads a local file and
sends it in parts small enough for the server's body limit; verify asks the server to run the
checks (an ``admin`` key) and returns the same :class:`~.verify_report.VerifyReport`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from evalledger.assessments import verify_report
from evalledger.assessments.schemas import (
    AssessmentOut,
    AssessmentRecord,
    CachedAssessments,
    DuplicatePolicy,
    ExportResult,
    ImportResult,
    Statistics,
)
from evalledger.errors import ValidationFailed, parse_uuid
from evalledger.operations.http import HttpBase

if TYPE_CHECKING:  # the importer is database code: loaded only when a file is imported
    from evalledger.assessments import importer

BASE = "/api/v1"
#: Records per import request, and the body size a part stays under (the server refuses
#: bodies over ``EVALLEDGER_MAX_BODY_BYTES``, 10 MB by default).
IMPORT_PART_RECORDS = 1000
IMPORT_PART_BYTES = 4_000_000


def _params(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return out


def _parts(records: Sequence[BaseModel], max_records: int) -> Iterator[tuple[int, list[str]]]:
    """``records`` as JSON texts, grouped into parts of at most ``max_records`` records and
    about :data:`IMPORT_PART_BYTES` bytes (a single larger record goes alone)."""
    part: list[str] = []
    size = 0
    for record in records:
        text = record.model_dump_json()
        if part and (len(part) >= max_records or size + len(text) > IMPORT_PART_BYTES):
            yield len(part), part
            part, size = [], 0
        part.append(text)
        size += len(text) + 1
    if part:
        yield len(part), part


class AssessmentsClient(HttpBase):
    # Hook: one route (``GET /assessments/{id}``) serves this and get_cached_assessments.
    async def get_assessment(self, assessment_id: uuid.UUID | str) -> AssessmentOut:
        return AssessmentOut.model_validate(
            await self._request(
                "GET", f"{BASE}/assessments/{parse_uuid(assessment_id, 'assessment_id')}"
            )
        )

    # Hook: the same route as get_assessment, with ``use_cached=true``.
    async def get_cached_assessments(
        self, student_id: uuid.UUID | str, *, skill_type: str | None = None
    ) -> CachedAssessments:
        """Each skill's newest assessment inside the cache window (the MASS ``use_cached``)."""
        params = {"use_cached": "true"}
        if skill_type is not None:
            params["skill_type"] = skill_type
        out = await self._request(
            "GET", f"{BASE}/assessments/{parse_uuid(student_id, 'student_id')}", params=params
        )
        return CachedAssessments.model_validate(out)

    # Hook: streams the server's document into a local file.
    async def export_assessments(
        self,
        output: str | Path,
        *,
        student_id: uuid.UUID | str | None = None,
        skill_type: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
    ) -> ExportResult:
        """Download this project's assessments (a MASS backup document) into ``output``."""
        params = _params(
            student_id=student_id, skill_type=skill_type, start_date=start_date, end_date=end_date
        )
        headers = await self._download(f"{BASE}/assessments/export", Path(output), params=params)
        return ExportResult(
            output=str(output),
            total_assessments=int(headers["x-total-assessments"]),
            total_students=int(headers["x-total-students"]),
            export_timestamp=headers["x-export-timestamp"],
        )

    # Hook: reads a local file and sends it in parts under the server's body limit.
    async def import_assessments(
        self,
        source: str | Path | importer.Backup | importer.BackupFile,
        *,
        duplicates: DuplicatePolicy = "error",
        part_size: int = IMPORT_PART_RECORDS,
        progress: importer.Progress | None = None,
    ) -> ImportResult:
        """Import a backup file (or a parsed :class:`~.importer.Backup`) through the API.

        The file is streamed as the in-process import streams it: its students, then its
        assessments ``part_size`` at a time, each record validated here and each part sent
        as one request (also kept under :data:`IMPORT_PART_BYTES`), which the server imports
        in its own batches. An interrupted import is completed by running it again with
        ``duplicates="skip"``.
        """
        if part_size < 1:
            raise ValidationFailed("part_size must be at least 1", field="part_size")
        from evalledger.assessments import importer

        backup: importer.Backup | importer.BackupFile
        if isinstance(source, importer.Backup | importer.BackupFile):
            backup = source
        else:
            backup = await asyncio.to_thread(importer.open_backup_file, source)
        if isinstance(backup, importer.Backup):
            declared: int | None = len(backup.assessments)
            batches: Iterator[tuple[int, list[AssessmentRecord]]] = iter(
                (start, backup.assessments[start : start + part_size])
                for start in range(0, len(backup.assessments), part_size)
            )
        else:
            declared = backup.declared_total
            batches = backup.assessment_batches(part_size)
        result = ImportResult(total=declared or 0, backup_timestamp=backup.export_timestamp)
        if progress:
            progress(0, declared or 0)
        for _, part in _parts(backup.students, part_size):
            result.students_imported += (await self._send_part("students", part, duplicates))[0]
        done = 0
        while (item := await asyncio.to_thread(next, batches, None)) is not None:
            for n, part in _parts(item[1], part_size):
                _, imported, skipped, updated = await self._send_part(
                    "assessments", part, duplicates
                )
                result.imported += imported
                result.skipped += skipped
                result.updated += updated
                done += n
                if progress:
                    progress(done, max(declared or 0, done))
        result.total = done
        return result

    async def _send_part(
        self, field: str, records: list[str], duplicates: DuplicatePolicy
    ) -> tuple[int, int, int, int]:
        """POST one part (records already as JSON); ``(students imported, imported, skipped,
        updated)``."""
        other = "assessments" if field == "students" else "students"
        body = f'{{"{other}": [], "{field}": [{",".join(records)}]}}'
        out = ImportResult.model_validate(
            await self._request(
                "POST",
                f"{BASE}/assessments/import",
                content=body.encode(),
                params={"duplicates": duplicates},
                retry_safe=duplicates != "error",
            )
        )
        return out.students_imported, out.imported, out.skipped, out.updated

    # Hook: two routes (read, fix orphans); ``all_projects`` is in-process only.
    async def verify(
        self, *, fix_orphans: bool = False, all_projects: bool = False
    ) -> verify_report.VerifyReport:
        """The server's integrity checks over this key's project; ``fix_orphans`` (an
        ``admin`` key) deletes its orphaned evidence. ``all_projects`` is in-process only."""
        if all_projects:
            raise NotImplementedError("checking every project is available in-process only")
        if fix_orphans:
            out = await self._request("POST", f"{BASE}/integrity/fix-orphans", retry_safe=True)
        else:
            out = await self._request("GET", f"{BASE}/integrity")
        return verify_report.VerifyReport.from_dict(out)

    # Hook: ``all_projects`` is in-process only (not a REST parameter).
    async def stats(self, *, all_projects: bool = False) -> Statistics:
        """This project's statistics (``all_projects`` is in-process only)."""
        if all_projects:
            raise NotImplementedError("all-project statistics are available in-process only")
        return Statistics.model_validate(await self._request("GET", f"{BASE}/assessments/stats"))
