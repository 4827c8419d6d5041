"""What ``evalledger verify`` found, and the seed 003 text report of it.

:class:`VerifyReport` is built by :mod:`evalledger.assessments.integrity`; it travels as
:meth:`VerifyReport.as_dict` (``verify --json``, ``GET /api/v1/integrity``) and comes back with
:meth:`VerifyReport.from_dict`, so the ``Client`` returns the same object as the ``Ledger``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from evalledger.assessments.schemas import Statistics

Kind = Literal["ok", "issue", "warning", "fixed", "info", "skipped"]


@dataclass
class Line:
    kind: Kind
    text: str
    count: int = 0
    sample: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    section: int
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.lines.append(Line("ok", message))

    def problem(
        self, kind: Kind, message: str, count: int, sample: list[Any] | None = None
    ) -> None:
        self.lines.append(Line(kind, message, count, [str(s) for s in sample or []]))

    @property
    def issues(self) -> int:
        return sum(1 for line in self.lines if line.kind == "issue")

    @property
    def warnings(self) -> int:
        return sum(1 for line in self.lines if line.kind == "warning")

    @property
    def fixed(self) -> int:
        return sum(line.count for line in self.lines if line.kind == "fixed")

    @property
    def status(self) -> str:
        kinds = {line.kind for line in self.lines}
        for kind in ("issue", "warning", "fixed", "skipped"):
            if kind in kinds:
                return kind
        return "ok"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        lines = [
            Line(ln["kind"], ln["message"], ln["count"], list(ln["sample"])) for ln in data["lines"]
        ]
        return cls(data["section"], data["check"], data["title"], lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "check": self.key,
            "title": self.title,
            "status": self.status,
            "issues": self.issues,
            "warnings": self.warnings,
            "fixed": self.fixed,
            "lines": [
                {"kind": ln.kind, "message": ln.text, "count": ln.count, "sample": ln.sample}
                for ln in self.lines
            ],
        }


@dataclass
class VerifyReport:
    checked_at: str
    statistics: Statistics
    checks: list[CheckResult]
    scope: str = "all projects"

    @property
    def issues(self) -> int:
        return sum(c.issues for c in self.checks)

    @property
    def warnings(self) -> int:
        return sum(c.warnings for c in self.checks)

    @property
    def fixed(self) -> int:
        return sum(c.fixed for c in self.checks)

    @property
    def healthy(self) -> bool:
        return self.issues == 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifyReport:
        """The report back from its :meth:`as_dict` form (what ``GET /api/v1/integrity``
        answers), so :class:`~evalledger.sdk.client.Client` returns the same type as
        :class:`~evalledger.sdk.ledger.Ledger`."""
        return cls(
            scope=data["scope"],
            checked_at=data["checked_at"],
            statistics=Statistics.model_validate(data["statistics"]),
            checks=[CheckResult.from_dict(c) for c in data["checks"]],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "checked_at": self.checked_at,
            "healthy": self.healthy,
            "issues_found": self.issues,
            "warnings": self.warnings,
            "fixed": self.fixed,
            "statistics": self.statistics.model_dump(),
            "checks": [c.as_dict() for c in self.checks],
        }


# -- report -------------------------------------------------------------------------------

RULE = "=" * 70
_MARK = {"ok": "✓", "issue": "✗", "warning": "⚠", "fixed": "✓", "info": " ", "skipped": "-"}


def render_statistics(stats: Statistics, *, numbered: bool = True) -> list[str]:
    lines = ["6. Database statistics:" if numbered else "Database statistics:"]
    lines.append(f"  Total assessments: {stats.total_assessments}")
    lines += [f"    - {skill}: {n}" for skill, n in stats.by_skill.items()]
    lines.append(f"  Total evidence records: {stats.total_evidence}")
    lines.append(f"  Total students: {stats.total_students}")
    lines.append(f"  Average assessments per student: {stats.average_assessments_per_student:.1f}")
    lines.append(f"  Average evidence per assessment: {stats.average_evidence_per_assessment:.1f}")
    return lines


def render(report: VerifyReport, *, verbose: bool = False) -> list[str]:
    """Seed 003's report: numbered sections, ✓/✗/⚠ lines, SUMMARY."""
    out = [RULE, "SKILL ASSESSMENT DATA INTEGRITY VERIFICATION", RULE, ""]
    out += render_statistics(report.statistics)
    for check in report.checks:
        out += ["", f"{check.section}. {check.title}"]
        for line in check.lines:
            out.append(f"{_MARK[line.kind]} {line.text}")
            if verbose and line.sample:
                out += [f"    - {s}" for s in line.sample]
                if line.count > len(line.sample):
                    out.append(f"    ... and {line.count - len(line.sample)} more")
    out += ["", RULE, "SUMMARY", RULE]
    out.append(f"Issues found: {report.issues}")
    out.append(f"Warnings: {report.warnings}")
    if report.fixed:
        out.append(f"Fixed: {report.fixed}")
    out.append("")
    if report.issues:
        out.append(f"✗ Integrity verification found {report.issues} issue(s).")
    elif report.warnings:
        out.append(f"⚠ No issues found, but {report.warnings} warning(s) need attention.")
    else:
        out.append("✓ All integrity checks passed! Data is healthy.")
    return out
