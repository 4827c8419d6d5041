"""How results are written as rows: the CSV columns and the JSONL/CSV encoding of a page.

One definition shared by ``evalledger results list --csv``, the streamed export
(:mod:`evalledger.agents.results_export`) and its REST route, so a CSV from any of them has
the same columns. Standard library only: the CLI imports it at start-up.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[str, ...] = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

#: The columns of a results CSV, in order (lists and objects as JSON text).
CSV_COLUMNS = (
    "id",
    "created_at",
    "ai_type",
    "test_id",
    "test_category",
    "test_difficulty",
    "test_type",
    "passed",
    "score",
    "xp_awarded",
    "duration",
    "agent_version",
    "tags",
    "metadata",
    "metrics",
    "input_tokens",
    "output_tokens",
)


def csv_value(value: Any) -> Any:
    """One CSV cell: JSON for lists and objects, ISO 8601 for times, ``true``/``false``."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def csv_rows(items: Iterable[Any], *, header: bool) -> str:
    """``items`` (results) as CSV text, with the header line first when ``header``."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    if header:
        out.writerow(CSV_COLUMNS)
    for r in items:
        out.writerow([csv_value(getattr(r, c)) for c in CSV_COLUMNS])
    return buffer.getvalue()


def encode_page(items: Iterable[Any], fmt: ExportFormat, *, first: bool) -> bytes:
    """One page of results (pydantic models) in ``fmt``; the CSV header with the first."""
    if fmt == "csv":
        return csv_rows(items, header=first).encode()
    return "".join(f"{r.model_dump_json()}\n" for r in items).encode()


def check_format(fmt: str) -> ExportFormat:
    from evalledger.errors import ValidationFailed

    if fmt not in FORMATS:
        raise ValidationFailed(f"format: expected jsonl or csv, not {fmt[:20]!r}", field="format")
    return fmt  # type: ignore[return-value]


async def count_rows(path: Any, fmt: ExportFormat) -> int:
    """How many results a downloaded export holds (read in a thread; memory stays flat).

    JSON text never holds a raw newline, so a JSONL result is one line; a CSV cell may, so
    CSV is counted by the csv module (less its header)."""
    import asyncio

    def count() -> int:
        with open(path, encoding="utf-8", newline="") as fh:
            if fmt == "jsonl":
                return sum(1 for line in fh if line.strip())
            return max(sum(1 for _ in csv.reader(fh)) - 1, 0)

    return await asyncio.to_thread(count)
