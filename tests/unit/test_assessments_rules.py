"""Pure parts of the assessments domain: backup validation, canonical values, date bounds,
and the verify report's text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from evalledger.assessments.export import canonical, stamp
from evalledger.assessments.importer import parse_backup
from evalledger.assessments.schemas import Statistics
from evalledger.assessments.service import parse_bound
from evalledger.assessments.verify_report import CheckResult, VerifyReport, render
from evalledger.errors import ValidationFailed


def record(**changes: object) -> dict:
    aid = str(uuid.uuid4())
    base = {
        "id": aid,
        "student_id": str(uuid.uuid4()),
        "skill_type": "empathy",
        "score": 0.5,
        "confidence": 0.5,
        "reasoning": None,
        "recommendations": None,
        "feature_importance": None,
        "created_at": "2024-11-29T12:34:56.789",
        "updated_at": "2024-11-29T12:34:56.789",
        "evidence": [],
    }
    base.update(changes)
    return base


def test_naive_timestamps_are_utc_and_json_strings_are_parsed() -> None:
    backup = parse_backup({"assessments": [record(feature_importance='{"a": 1}')]})
    parsed = backup.assessments[0]
    assert parsed.created_at == datetime(2024, 11, 29, 12, 34, 56, 789000, tzinfo=UTC)
    assert parsed.feature_importance == {"a": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": 1.2}, "score"),
        ({"skill_type": "charm"}, "skill_type"),
        ({"extra": 1}, "extra"),
        ({"created_at": "yesterday"}, "created_at"),
    ],
)
def test_bad_record_is_named_by_index_and_id(change: dict, message: str) -> None:
    good, bad = record(), record(**change)
    with pytest.raises(ValidationFailed) as info:
        parse_backup({"assessments": [good, bad]})
    assert f"assessment record 1 (id {bad['id']})" in info.value.message
    assert message in info.value.message


def test_duplicate_ids_in_a_file_are_refused() -> None:
    one = record()
    with pytest.raises(ValidationFailed, match="twice"):
        parse_backup({"assessments": [one, dict(one)]})


def test_not_a_backup() -> None:
    for document in ([], {"assessments": {}}, {"students": []}):
        with pytest.raises(ValidationFailed, match="not an assessments backup"):
            parse_backup(document)


def test_canonical_values() -> None:
    assert list(canonical({"b": {"d": 1, "c": [{"z": 1, "y": 2}]}, "a": 0})) == ["a", "b"]
    assert list(canonical({"b": {"d": 1, "c": 2}})["b"]) == ["c", "d"]
    moment = datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert stamp(moment) == "2024-01-01T00:00:00.000000+00:00"


def test_date_bounds_are_inclusive_days() -> None:
    assert parse_bound("2024-01-01", end=False, field="x") == datetime(2024, 1, 1, tzinfo=UTC)
    end = parse_bound("2024-12-31", end=True, field="x")
    assert end == datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_bound(None, end=True, field="x") is None
    with pytest.raises(ValidationFailed, match="x must be a date"):
        parse_bound("31/12/2024", end=True, field="x")


def _report(*checks: CheckResult) -> VerifyReport:
    stats = Statistics(
        total_assessments=0,
        by_skill={},
        total_evidence=0,
        total_students=0,
        students_with_assessments=0,
        average_assessments_per_student=0,
        average_evidence_per_assessment=0,
    )
    return VerifyReport(checked_at="now", statistics=stats, checks=list(checks))


def test_report_text_follows_the_seed() -> None:
    ok = CheckResult(1, "score_ranges", "Checking score ranges...")
    ok.ok("All scores are within valid range (0-1)")
    text = render(_report(ok))
    assert text[:3] == ["=" * 70, "SKILL ASSESSMENT DATA INTEGRITY VERIFICATION", "=" * 70]
    assert "1. Checking score ranges..." in text
    assert "✓ All scores are within valid range (0-1)" in text
    assert text[-4:] == [
        "Issues found: 0",
        "Warnings: 0",
        "",
        "✓ All integrity checks passed! Data is healthy.",
    ]

    bad = CheckResult(3, "orphaned_evidence", "Checking for orphaned evidence...")
    bad.problem("issue", "Found 2 orphaned evidence records", 2, ["a", "b"])
    warn = CheckResult(4, "evidence_linking", "Checking evidence linking...")
    warn.problem("warning", "1 assessments have no evidence records", 1, ["c"])
    report = _report(bad, warn)
    assert (report.issues, report.warnings, report.healthy) == (1, 1, False)
    text = render(report, verbose=True)
    assert "✗ Found 2 orphaned evidence records" in text and "    - a" in text
    assert "⚠ 1 assessments have no evidence records" in text
    assert "Issues found: 1" in text and "Warnings: 1" in text
    assert "    - a" not in render(report)
