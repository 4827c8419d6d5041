"""REST routes of seed 003 under ``/api/v1``. Thin: parse, call the ledger, return.

``POST /assessments/backup`` is declared before ``POST /assessments/{student_id}`` so that
"backup" is never taken for a student id.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response

from evalledger.api.deps import Reader, Writer
from evalledger.api.types import Cursor, PageLimit
from evalledger.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    BackupResult,
    SkillType,
    Statistics,
    StudentDetail,
    StudentIn,
    StudentOut,
)
from evalledger.db.repository import Page

router = APIRouter(prefix="/api/v1", tags=["assessments"])


@router.post("/students", response_model=StudentOut, status_code=201, summary="Create a student")
async def create_student(body: StudentIn, ledger: Writer) -> StudentOut:
    return await ledger.create_student(body)


@router.get("/students", response_model=Page[StudentOut], summary="List students")
async def list_students(
    ledger: Reader,
    limit: PageLimit = None,
    cursor: Cursor = None,
) -> Page[StudentOut]:
    return await ledger.list_students(limit=limit, cursor=cursor)


@router.get(
    "/students/{student_id}",
    response_model=StudentDetail,
    summary="One student with assessment counts per skill",
)
async def get_student(student_id: uuid.UUID, ledger: Reader) -> StudentDetail:
    return await ledger.get_student(student_id)


@router.post(
    "/assessments/backup",
    response_model=BackupResult,
    summary="Write a backup file of this project's assessments into the exports folder",
)
async def backup(ledger: Writer) -> BackupResult:
    return await ledger.backup_assessments()


@router.get("/assessments/stats", response_model=Statistics, summary="Assessment statistics")
async def stats(ledger: Reader) -> Statistics:
    return await ledger.stats()


@router.post(
    "/assessments/{student_id}",
    response_model=AssessmentOut,
    status_code=201,
    summary="Record an assessment with its evidence",
    description=(
        "Send an `id` to make retries safe: the same id is recorded once. With "
        "`use_cached=true` the newest assessment of that skill within the cache window "
        "(`EVALLEDGER_ASSESSMENT_CACHE_DAYS`, default 7) is returned (200) instead of writing."
    ),
)
async def create_assessment(
    student_id: uuid.UUID,
    body: AssessmentIn,
    ledger: Writer,
    response: Response,
    use_cached: bool = False,
) -> AssessmentOut:
    out = await ledger.create_assessment(student_id, body, use_cached=use_cached)
    if out.cached:
        response.status_code = 200
    return out


@router.get("/assessments", response_model=Page[AssessmentOut], summary="List assessments")
async def list_assessments(
    ledger: Reader,
    student_id: uuid.UUID | None = None,
    skill_type: SkillType | None = None,
    start_date: str | None = Query(
        None,
        max_length=64,
        description="YYYY-MM-DD or ISO datetime; inclusive (a date means its start)",
    ),
    end_date: str | None = Query(
        None,
        max_length=64,
        description="YYYY-MM-DD or ISO datetime; inclusive (a date means its end)",
    ),
    limit: PageLimit = None,
    cursor: Cursor = None,
) -> Page[AssessmentOut]:
    return await ledger.list_assessments(
        student_id=student_id,
        skill_type=skill_type,
        start_date=start_date,
        end_date=end_date,
        limit=limit,
        cursor=cursor,
    )


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, summary="One assessment")
async def get_assessment(assessment_id: uuid.UUID, ledger: Reader) -> AssessmentOut:
    return await ledger.get_assessment(assessment_id)
