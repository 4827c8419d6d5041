"""The assessments operations as the SDK exposes them (``Ledger``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalledger.assessments import export, importer, integrity, verify_report
from evalledger.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    BackupResult,
    CachedAssessments,
    DuplicatePolicy,
    ExportFilters,
    ExportResult,
    ImportResult,
    Statistics,
    StudentDetail,
    StudentIn,
    StudentOut,
)
from evalledger.assessments.service import AssessmentService, statistics
from evalledger.db.repository import Page
from evalledger.errors import ValidationFailed, parse_uuid
from evalledger.sdk.base import LedgerBase
from evalledger.uow import UnitOfWork


def _model(cls: Any, value: Any) -> Any:
    return value if isinstance(value, cls) else cls.model_validate(value)


class AssessmentsFacade(LedgerBase):
    def _assessments(self, uow: UnitOfWork) -> AssessmentService:
        return AssessmentService(uow, self.settings)

    # -- students ----------------------------------------------------------------------

    async def create_student(self, data: StudentIn | Mapping[str, Any]) -> StudentOut:
        body = _model(StudentIn, data)
        async with self._write() as uow:
            return await self._assessments(uow).create_student(body)

    async def list_students(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[StudentOut]:
        async with self._read() as uow:
            return await self._assessments(uow).list_students(limit=limit, cursor=cursor)

    async def get_student(self, student_id: uuid.UUID | str) -> StudentDetail:
        async with self._read() as uow:
            return await self._assessments(uow).get_student(parse_uuid(student_id, "student_id"))

    # -- assessments -------------------------------------------------------------------

    async def create_assessment(
        self,
        student_id: uuid.UUID | str,
        data: AssessmentIn | Mapping[str, Any],
        *,
        use_cached: bool = False,
    ) -> AssessmentOut:
        body = _model(AssessmentIn, data)
        async with self._write() as uow:
            return await self._assessments(uow).create_assessment(
                parse_uuid(student_id, "student_id"), body, use_cached=use_cached
            )

    async def list_assessments(
        self,
        *,
        student_id: uuid.UUID | str | None = None,
        skill_type: str | None = None,
        start_date: str | date | datetime | None = None,
        end_date: str | date | datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[AssessmentOut]:
        async with self._read() as uow:
            return await self._assessments(uow).list_assessments(
                student_id=parse_uuid(student_id, "student_id") if student_id else None,
                skill_type=skill_type,
                start_date=start_date,
                end_date=end_date,
                limit=limit,
                cursor=cursor,
            )

    async def get_cached_assessments(
        self, student_id: uuid.UUID | str, *, skill_type: str | None = None
    ) -> CachedAssessments:
        """Each skill's newest assessment of the student inside the cache window
        (``EVALLEDGER_ASSESSMENT_CACHE_DAYS``), with evidence: the MASS ``use_cached`` read."""
        async with self._read() as uow:
            return await self._assessments(uow).cached_assessments(
                uuid.UUID(str(student_id)), skill_type
            )

    async def get_assessment(self, assessment_id: uuid.UUID | str) -> AssessmentOut:
        async with self._read() as uow:
            return await self._assessments(uow).get_assessment(
                parse_uuid(assessment_id, "assessment_id")
            )

    # -- export / import / backup ------------------------------------------------------

    async def export_assessments(
        self,
        output: str | Path,
        *,
        student_id: uuid.UUID | str | None = None,
        skill_type: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ExportResult:
        """Write the assessments to ``output``; ``progress(written)`` after each batch."""
        try:
            filters = ExportFilters.model_validate(
                {
                    "student_id": student_id,
                    "skill_type": skill_type,
                    "start_date": start_date,
                    "end_date": end_date,
                }
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "filters"
            raise ValidationFailed(f"{name}: {err['msg']}", field=name) from None
        async with self._read() as uow:
            return await export.export_assessments(uow, output, filters, progress)

    async def backup_assessments(self) -> BackupResult:
        """Export everything of this project into ``settings.exports_dir``."""
        async with self._read() as uow:
            return await export.backup_assessments(uow, Path(self.settings.exports_dir))

    async def import_assessments(
        self,
        source: str | Path | importer.Backup | importer.BackupFile,
        *,
        duplicates: DuplicatePolicy = "error",
        batch_size: int = importer.DEFAULT_BATCH_SIZE,
        progress: importer.Progress | None = None,
    ) -> ImportResult:
        """Import a backup: a file (streamed, memory stays flat), or a :class:`importer.Backup`
        already in memory."""
        backup: importer.Backup | importer.BackupFile
        if isinstance(source, importer.Backup | importer.BackupFile):
            backup = source
        else:
            backup = await asyncio.to_thread(importer.open_backup_file, source)
        result = await importer.import_backup(
            self._write, backup, policy=duplicates, batch_size=batch_size, progress=progress
        )
        await importer.refresh_statistics(self.db, result)
        return result

    # -- operator tools (whole database) -----------------------------------------------

    async def verify(
        self, *, fix_orphans: bool = False, all_projects: bool = False
    ) -> verify_report.VerifyReport:
        """Run the integrity checks over this project, or over every project (the operator's
        ``evalledger verify``); ``fix_orphans`` deletes orphaned evidence."""
        if all_projects:
            unit = self._across_projects(write=fix_orphans)
        else:
            unit = self._write() if fix_orphans else self._read()
        async with unit as uow:
            return await integrity.verify(
                uow,
                self.settings,
                fix_orphans=fix_orphans,
                project_id=None if all_projects else uow.project_id,
            )

    async def stats(self, *, all_projects: bool = False) -> Statistics:
        """The MASS statistics: this project's, or the whole database's."""
        unit = self._across_projects() if all_projects else self._read()
        async with unit as uow:
            return await statistics(uow, None if all_projects else uow.project_id)
