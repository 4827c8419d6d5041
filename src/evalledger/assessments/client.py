"""The assessments operations over HTTP: same names and return types as the Ledger's.

Export, import and verify work on files and on the whole database, so they are in-process only
(``Ledger`` / the CLI); over HTTP the client can trigger a server-side backup
(:meth:`backup_assessments`) and page through assessments.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from evalledger.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    BackupResult,
    Statistics,
    StudentDetail,
    StudentIn,
    StudentOut,
)
from evalledger.db.repository import Page
from evalledger.sdk.http import HttpBase

BASE = "/api/v1"


def _body(model: Any, value: Any) -> Any:
    parsed = value if isinstance(value, model) else model.model_validate(value)
    return parsed.model_dump(mode="json", exclude_unset=True)


def _params(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return out


class AssessmentsClient(HttpBase):
    async def create_student(self, data: StudentIn | Mapping[str, Any]) -> StudentOut:
        body = _body(StudentIn, data)
        out = await self._request(
            "POST", f"{BASE}/students", json=body, retry_safe=body.get("id") is not None
        )
        return StudentOut.model_validate(out)

    async def list_students(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[StudentOut]:
        out = await self._request(
            "GET", f"{BASE}/students", params=_params(limit=limit, cursor=cursor)
        )
        return Page[StudentOut].model_validate(out)

    async def get_student(self, student_id: uuid.UUID | str) -> StudentDetail:
        return StudentDetail.model_validate(
            await self._request("GET", f"{BASE}/students/{uuid.UUID(str(student_id))}")
        )

    async def create_assessment(
        self,
        student_id: uuid.UUID | str,
        data: AssessmentIn | Mapping[str, Any],
        *,
        use_cached: bool = False,
    ) -> AssessmentOut:
        body = _body(AssessmentIn, data)
        out = await self._request(
            "POST",
            f"{BASE}/assessments/{uuid.UUID(str(student_id))}",
            json=body,
            params={"use_cached": "true"} if use_cached else None,
            retry_safe=body.get("id") is not None,
        )
        return AssessmentOut.model_validate(out)

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
        params = _params(
            student_id=student_id,
            skill_type=skill_type,
            start_date=start_date,
            end_date=end_date,
            limit=limit,
            cursor=cursor,
        )
        out = await self._request("GET", f"{BASE}/assessments", params=params)
        return Page[AssessmentOut].model_validate(out)

    async def get_assessment(self, assessment_id: uuid.UUID | str) -> AssessmentOut:
        return AssessmentOut.model_validate(
            await self._request("GET", f"{BASE}/assessments/{uuid.UUID(str(assessment_id))}")
        )

    async def backup_assessments(self) -> BackupResult:
        """Ask the server to write a backup into its exports folder."""
        return BackupResult.model_validate(
            await self._request("POST", f"{BASE}/assessments/backup")
        )

    async def stats(self, *, all_projects: bool = False) -> Statistics:
        """This project's statistics (``all_projects`` is in-process only)."""
        if all_projects:
            raise NotImplementedError("all-project statistics are available in-process only")
        return Statistics.model_validate(await self._request("GET", f"{BASE}/assessments/stats"))
