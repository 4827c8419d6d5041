"""A run's samples written to a file, one page at a time (memory stays flat).

JSONL holds each sample as the API returns it; CSV and Parquet hold one row per sample and
scorer (:data:`COLUMNS`), with structured values (input, target, raw scores) as JSON text.
The file is written next to its target and moved into place when complete.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalledger.errors import ValidationFailed
from evalledger.runs.schemas import SampleOut

COLUMNS = (
    "sample_id", "epoch", "scorer", "value", "passed", "raw", "answer", "explanation", "input",
    "target", "output", "input_tokens", "output_tokens", "total_time", "error",
)  # fmt: skip
PAGE = 1000


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def rows(sample: SampleOut) -> Iterator[dict[str, Any]]:
    """One row per scorer of ``sample`` (one row with no scorer when it has none)."""
    base = {
        "sample_id": sample.sample_id, "epoch": sample.epoch, "input": _text(sample.input),
        "target": _text(sample.target), "output": sample.output,
        "input_tokens": sample.input_tokens, "output_tokens": sample.output_tokens,
        "total_time": sample.total_time, "error": sample.error,
    }  # fmt: skip
    if not sample.scores:
        yield {
            **base,
            "scorer": None,
            "value": None,
            "passed": None,
            "raw": None,
            "answer": None,
            "explanation": None,
        }
    for name, score in sample.scores.items():
        yield {
            **base,
            "scorer": name,
            "value": score.value,
            "passed": score.passed,
            "raw": _text(score.raw),
            "answer": score.answer,
            "explanation": score.explanation,
        }


async def _pages(ledger: Any, run_id: str) -> Any:
    cursor = None
    while True:
        page = await ledger.list_samples(run_id, limit=PAGE, cursor=cursor)
        yield page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


async def write_samples(ledger: Any, run_id: str, fmt: str, output: Path) -> int:
    """Write ``run_id``'s samples to ``output`` in ``fmt``; returns how many were written."""
    await ledger.get_run(run_id)  # an unknown run is a NotFoundError before any file exists
    partial = output.with_name(output.name + ".partial")
    count = 0
    try:
        if fmt == "parquet":
            count = await _write_parquet(ledger, run_id, partial)
        else:
            with partial.open("w", encoding="utf-8", newline="") as out:
                writer = csv.DictWriter(out, COLUMNS, lineterminator="\n") if fmt == "csv" else None
                if writer is not None:
                    writer.writeheader()
                async for items in _pages(ledger, run_id):
                    for sample in items:
                        count += 1
                        if writer is None:
                            out.write(sample.model_dump_json() + "\n")
                        else:
                            writer.writerows(rows(sample))
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return count


async def _write_parquet(ledger: Any, run_id: str, target: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValidationFailed(
            "--format parquet needs pyarrow: pip install 'evalledger[parquet]'", field="format"
        ) from None
    count = 0
    writer = None
    try:
        async for items in _pages(ledger, run_id):
            batch = [row for sample in items for row in rows(sample)]
            count += len(items)
            if not batch:
                continue
            table = pa.Table.from_pylist(
                [
                    {
                        k: (None if v is None else str(v)) if k in ("raw", "input", "target") else v
                        for k, v in row.items()
                    }
                    for row in batch
                ]
            )
            if writer is None:
                writer = pq.ParquetWriter(str(target), table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no samples: an empty file with the columns
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in COLUMNS}), str(target))
    return count
