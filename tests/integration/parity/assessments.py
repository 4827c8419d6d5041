"""The assessments group: students, assessments with evidence, backups (and the read hooks)."""

from __future__ import annotations

import uuid

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from tests.integration.parity import MISSING_ID, Ref, step

#: A client-chosen assessment id: recorded once, refused for another student.
CHOSEN = uuid.UUID("00000000-0000-4000-8000-0000000000a1")


def assessment(skill: str = "empathy", **extra: object) -> dict[str, object]:
    evidence = {
        "evidence_type": "linguistic",
        "source": "chat",
        "content": "hi",
        "relevance_score": 0.5,
    }
    body = {"skill_type": skill, "score": 0.7, "confidence": 0.8, "evidence": [evidence]}
    return {**body, **extra}


STEPS = [
    step("create_student", {"name": "Ann", "external_id": "s-1"}, save="ann"),
    step("create_student", {"name": "Bob"}, save="bob"),
    step("create_student", {"name": ""}, raises=ValidationFailed),
    step("create_student", {"name": "Ann", "bogus": 1}, raises=ValidationFailed),
    step("create_student", {"name": "Other", "external_id": "s-1"}, raises=ConflictError),
    step("list_students", limit=1, save="first"),
    step("list_students", limit=1, cursor=Ref("first", "next_cursor")),
    step("list_students", limit=0, raises=ValidationFailed),
    step("list_students", limit=1001, raises=ValidationFailed),
    step("list_students", cursor="x" * 501, raises=ValidationFailed),
    step("get_student", Ref("ann", "id")),
    step("get_student", "not-a-uuid", raises=ValidationFailed),
    step("get_student", MISSING_ID, raises=NotFoundError),
    step("create_assessment", Ref("ann", "id"), assessment(id=CHOSEN), save="one"),
    step("create_assessment", Ref("ann", "id"), assessment(id=CHOSEN)),  # a retry: the same
    step("create_assessment", Ref("bob", "id"), assessment(id=CHOSEN), raises=ConflictError),
    step("create_assessment", Ref("ann", "id"), assessment(), use_cached=True),
    step(
        "create_assessment",
        Ref("ann", "id"),
        assessment("resilience", score=1.5),
        raises=ValidationFailed,
    ),
    step("create_assessment", Ref("ann", "id"), assessment("bogus"), raises=ValidationFailed),
    step("create_assessment", "not-a-uuid", assessment(), raises=ValidationFailed),
    step("create_assessment", MISSING_ID, assessment(), raises=NotFoundError),
    step("create_assessment", Ref("bob", "id"), assessment("resilience")),
    step("list_assessments", student_id=Ref("ann", "id")),
    step("list_assessments", skill_type="resilience", start_date="2000-01-01", limit=5),
    step("list_assessments", end_date="2000-01-01"),
    step("list_assessments", skill_type="bogus", raises=ValidationFailed),
    step("list_assessments", start_date="yesterday", raises=ValidationFailed),
    step("list_assessments", start_date="2" * 65, raises=ValidationFailed),
    step("list_assessments", student_id="nope", raises=ValidationFailed),
    step("list_assessments", limit=1001, raises=ValidationFailed),
    step("get_assessment", Ref("one", "id")),
    step("get_assessment", MISSING_ID, raises=NotFoundError),
    step("get_assessment", "not-a-uuid", raises=ValidationFailed),
    step("get_cached_assessments", Ref("ann", "id"), skill_type="empathy"),
    step("get_cached_assessments", MISSING_ID, raises=NotFoundError),
    step("get_cached_assessments", "not-a-uuid", raises=ValidationFailed),
    step("stats"),
    step("backup_assessments"),
]
