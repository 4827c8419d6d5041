"""API shapes of the assessments domain (seed 003), shared by REST, ``Ledger``, ``Client``,
and the import file: an imported record is validated by the same request models as the API
(plus the ids and timestamps an export carries)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from evalledger.schema.types import RequestModel

SkillType = Literal[
    "empathy",
    "problem_solving",
    "self_regulation",
    "resilience",
    "adaptability",
    "communication",
    "collaboration",
]
EvidenceType = Literal["linguistic", "behavioral", "contextual"]

Unit = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _utc(value: datetime) -> datetime:
    """Timestamps in files may be naive (the seed's example is): they are read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_text(value: Any) -> Any:
    """The seed's export shows ``feature_importance`` as a JSON string: accept that too."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value  # the dict validation then names the field
    return value


UTCStamp = Annotated[datetime, AfterValidator(_utc)]
FeatureImportance = Annotated[dict[str, Any] | None, BeforeValidator(_json_text)]


class StrictModel(RequestModel):
    """Request bodies: unknown fields are an error (a typo is not silently ignored), and
    ``true``/``false`` is not a number (see :class:`evalledger.schema.types.RequestModel`)."""


# -- students ---------------------------------------------------------------------------


class StudentIn(StrictModel):
    id: uuid.UUID | None = Field(
        None, description="Client-supplied id; sending the same id again returns the student."
    )
    name: str = Field(min_length=1, max_length=255)
    external_id: str | None = Field(None, min_length=1, max_length=255)
    metadata: dict[str, Any] = Field(default_factory=dict)


class StudentOut(BaseModel):
    id: uuid.UUID
    name: str
    external_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class StudentDetail(StudentOut):
    total_assessments: int
    assessment_counts: dict[str, int] = Field(description="assessments per skill type")


class StudentRecord(StudentIn):
    """A student as an export file carries it."""

    id: uuid.UUID
    created_at: UTCStamp
    updated_at: UTCStamp


# -- assessments ------------------------------------------------------------------------


class EvidenceIn(StrictModel):
    evidence_type: EvidenceType
    source: str = Field(min_length=1, max_length=100)
    content: str = Field(max_length=1_000_000)
    relevance_score: Unit


class AssessmentIn(StrictModel):
    """``POST /api/v1/assessments/{student_id}``: one assessment and its evidence."""

    id: uuid.UUID | None = Field(
        None, description="Client-supplied id; sending the same id again changes nothing."
    )
    skill_type: SkillType
    score: Unit
    confidence: Unit
    reasoning: str | None = Field(None, max_length=1_000_000)
    recommendations: str | None = Field(None, max_length=1_000_000)
    feature_importance: FeatureImportance = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10_000)


class EvidenceOut(BaseModel):
    id: uuid.UUID
    assessment_id: uuid.UUID
    evidence_type: str
    source: str
    content: str
    relevance_score: float
    created_at: datetime
    updated_at: datetime


class AssessmentOut(BaseModel):
    id: uuid.UUID
    student_id: uuid.UUID
    skill_type: str
    score: float
    confidence: float
    reasoning: str | None
    recommendations: str | None
    feature_importance: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    evidence: list[EvidenceOut]
    cached: bool = Field(False, description="true when use_cached returned a stored assessment")


class CachedAssessments(BaseModel):
    """The MASS cached read: each skill's newest assessment created since ``since``."""

    student_id: uuid.UUID
    skill_type: SkillType | None = Field(None, description="the one skill asked for, if any")
    window_days: int = Field(description="EVALLEDGER_ASSESSMENT_CACHE_DAYS")
    since: datetime = Field(description="start of the window (now minus window_days)")
    assessments: list[AssessmentOut] = Field(description="one per skill, by skill name")


class EvidenceRecord(EvidenceIn):
    """Evidence as an export file carries it."""

    id: uuid.UUID
    assessment_id: uuid.UUID
    created_at: UTCStamp
    updated_at: UTCStamp


class AssessmentRecord(AssessmentIn):
    """An assessment as an export file carries it (the MASS backup format)."""

    id: uuid.UUID
    student_id: uuid.UUID
    created_at: UTCStamp
    updated_at: UTCStamp
    evidence: list[EvidenceRecord] = Field(  # type: ignore[assignment]
        default_factory=list, max_length=10_000
    )


# -- operations -------------------------------------------------------------------------


class ExportFilters(BaseModel):
    student_id: uuid.UUID | None = None
    skill_type: SkillType | None = None
    start_date: str | None = Field(None, max_length=64)
    end_date: str | None = Field(None, max_length=64)


class BackupDocument(StrictModel):
    """``POST /api/v1/assessments/import``: a MASS backup document (what
    ``GET /api/v1/assessments/export`` returns) of at most 10,000 assessments and students.

    The header fields an export carries are accepted and ignored, so an export can be posted
    back as it is; larger files go through :meth:`Client.import_assessments`, which sends them
    in parts, or the CLI."""

    export_timestamp: str | None = Field(None, max_length=64)
    export_filters: ExportFilters | None = None
    total_assessments: int | None = Field(None, ge=0, le=10_000_000_000)
    total_students: int | None = Field(None, ge=0, le=10_000_000_000)
    students: list[StudentRecord] = Field(default_factory=list, max_length=10_000)
    assessments: list[AssessmentRecord] = Field(max_length=10_000)


class ExportDocument(BaseModel):
    """``GET /api/v1/assessments/export``: the MASS backup document ``evalledger
    assessments export`` writes (students every exported assessment refers to, then the
    assessments with their evidence, in ``(created_at, id)`` order)."""

    export_timestamp: str
    export_filters: ExportFilters
    total_assessments: int
    total_students: int
    students: list[StudentRecord]
    assessments: list[AssessmentRecord]


class ExportResult(BaseModel):
    output: str
    total_assessments: int
    total_students: int
    export_timestamp: str


class BackupResult(BaseModel):
    """``POST /api/v1/assessments/backup`` (the MASS scripts' response shape)."""

    success: bool
    backup_file: str
    total_assessments: int
    timestamp: str


class ImportResult(BaseModel):
    imported: int = 0
    skipped: int = 0
    updated: int = 0
    students_imported: int = 0
    total: int = 0
    backup_timestamp: str | None = None


class Statistics(BaseModel):
    """Database statistics, as the MASS scripts report them."""

    total_assessments: int
    by_skill: dict[str, int]
    total_evidence: int
    total_students: int
    students_with_assessments: int
    average_assessments_per_student: float
    average_evidence_per_assessment: float


DuplicatePolicy = Literal["error", "skip", "update"]


# -- integrity (``evalledger verify``; ``GET /api/v1/integrity``) ---------------------------


class IntegrityLine(BaseModel):
    kind: Literal["ok", "issue", "warning", "fixed", "info", "skipped"]
    message: str
    count: int = Field(description="rows concerned (0 for an ok line)")
    sample: list[str] = Field(description="up to 20 offending ids")


class IntegrityCheck(BaseModel):
    section: int
    check: str
    title: str
    status: str
    issues: int
    warnings: int
    fixed: int
    lines: list[IntegrityLine]


class IntegrityReport(BaseModel):
    """The machine-readable report of ``evalledger verify --json`` (the same document)."""

    scope: str
    checked_at: str
    healthy: bool
    issues_found: int = Field(description="failing lines (kinds of problem), not rows")
    warnings: int
    fixed: int
    statistics: Statistics
    checks: list[IntegrityCheck]
