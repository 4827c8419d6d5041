"""Is a backup's manifest complete for the schema revision it names? (pure checks)

A restore trusts nothing it has not checked: the manifest must name a revision this
evalledger knows and list every table of that revision, no more and no fewer, each with a
row count and a SHA-256. Only then can the archive's members be checked against it. An
empty manifest (``{}``, or ``"tables": {}``) is thereby an incomplete one, not an empty
database. Every refusal is one line naming the file and the problem.
"""

from __future__ import annotations

import re
from typing import Any

from evalledger.errors import ValidationFailed
from evalledger.ops.schema_at import Shape, shapes_at

FORMAT_VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
REFUSED = "refused, nothing written"


def _refuse(source: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{source}: {problem}; {REFUSED}", field="file")


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def checked(manifest: Any, source: str) -> list[Shape]:
    """The tables (with their columns) of a complete manifest; raises if it is not one."""
    if not isinstance(manifest, dict):
        raise _refuse(source, "the manifest is not a JSON object")
    for key in ("format_version", "schema_revision", "tables"):
        if key not in manifest:
            raise _refuse(source, f"the manifest is incomplete (it has no {key!r})")
    if manifest["format_version"] != FORMAT_VERSION:
        raise _refuse(
            source,
            f"manifest format {manifest['format_version']!r} is not {FORMAT_VERSION}, "
            "the one this evalledger reads",
        )
    revision = manifest["schema_revision"]
    if not isinstance(revision, str) or not revision:
        raise _refuse(source, "the manifest names no schema revision")
    try:
        shapes = shapes_at(revision)
    except ValidationFailed as exc:
        raise _refuse(source, exc.message) from None
    tables = manifest["tables"]
    if not isinstance(tables, dict):
        raise _refuse(source, "the manifest's 'tables' is not an object")
    wanted = [s.name for s in shapes]
    if not tables:
        raise _refuse(
            source,
            f"the manifest lists no table; schema revision {revision} has {len(wanted)}",
        )
    missing = [name for name in wanted if name not in tables]
    if missing:
        raise _refuse(
            source,
            f"the manifest lacks table(s) {_names(missing)} of schema revision {revision}",
        )
    extra = sorted(name for name in tables if name not in wanted)
    if extra:
        raise _refuse(
            source,
            f"the manifest names table(s) {_names(extra)}, "
            f"which schema revision {revision} does not have",
        )
    for name in wanted:
        entry = tables[name]
        rows = entry.get("rows") if isinstance(entry, dict) else None
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise _refuse(source, f"the manifest gives table {name} no valid row count")
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise _refuse(source, f"the manifest gives table {name} no valid SHA-256")
    return shapes


def mismatch(name: str, got: dict[str, Any], want: dict[str, Any]) -> str | None:
    """How one table's count and checksum differ from the manifest's, if they do."""
    if got["rows"] != want["rows"]:
        return f"{name} has {got['rows']} rows, the manifest says {want['rows']}"
    if got["sha256"] != want["sha256"]:
        return (
            f"{name} hashes to {str(got['sha256'])[:12]}…, "
            f"the manifest says {str(want['sha256'])[:12]}…"
        )
    return None
