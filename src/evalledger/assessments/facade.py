"""The assessments hooks of the in-process ``Ledger``: what needs more than one declared
operation (:mod:`evalledger.assessments.operations` holds the rest)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from evalledger.assessments import export, importer, integrity, verify_report
from evalledger.assessments.schemas import (
    AssessmentOut,
    CachedAssessments,
    DuplicatePolicy,
    ExportFilters,
    ExportResult,
    ImportResult,
    Statistics,
)
from evalledger.assessments.service import AssessmentService, statistics
from evalledger.errors import ValidationFailed, parse_uuid
from evalledger.operations.ledger_base import LedgerBase
from evalledger.uow import UnitOfWork


class AssessmentsFacade(LedgerBase):
    def _assessments(self, uow: UnitOfWork) -> AssessmentService:
        return AssessmentService(uow, self.settings)

    # Hook: one route (``GET /assessments/{id}``) serves this and get_cached_assessments.
    async def get_assessment(self, assessment_id: uuid.UUID | str) -> AssessmentOut:
        async with self._read() as uow:
            return await self._assessments(uow).get_assessment(
                parse_uuid(assessment_id, "assessment_id")
            )

    # Hook: the same route as get_assessment, with ``use_cached=true``.
    async def get_cached_assessments(
        self, student_id: uuid.UUID | str, *, skill_type: str | None = None
    ) -> CachedAssessments:
        """Each skill's newest assessment of the student inside the cache window
        (``EVALLEDGER_ASSESSMENT_CACHE_DAYS``), with evidence: the MASS ``use_cached`` read."""
        async with self._read() as uow:
            return await self._assessments(uow).cached_assessments(
                parse_uuid(student_id, "student_id"), skill_type
            )

    # Hook: streams the document into a file, batch by batch (``progress`` after each).

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

    # Hook: streams a file in, each batch its own unit of work, then refreshes statistics.
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

    # Hook: ``all_projects`` runs across projects; one REST route per mode (read / fix).
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

    # Hook: ``all_projects`` runs across projects (in-process only; not a REST parameter).
    async def stats(self, *, all_projects: bool = False) -> Statistics:
        """The MASS statistics: this project's, or the whole database's."""
        unit = self._across_projects() if all_projects else self._read()
        async with unit as uow:
            return await statistics(uow, None if all_projects else uow.project_id)
