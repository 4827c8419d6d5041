"""Incremental JSON reading (ijson) for single-document logs that can be very large.

Inspect's ``.json`` log and promptfoo's output put every sample in one JSON document; loading
it whole needs several times the file's size in memory. These helpers build the document
*without* its big arrays (for the header) and stream those arrays item by item (for the
samples), so memory holds one sample at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from evalledger.runs.formats.base import LogFormatError

#: What a skipped value is replaced with in the document :func:`read_skipping` builds.
SKIPPED = "<skipped>"


def _json_error(path: Path, exc: Exception) -> LogFormatError:
    detail = str(exc).strip() or type(exc).__name__
    if "premature eof" in detail.lower() or "incomplete json content" in detail.lower():
        return LogFormatError(path, "the file ends early (truncated JSON)")
    return LogFormatError(path, f"not valid JSON ({' '.join(detail.split())[:200]})")


def read_skipping(path: Path, skip: Collection[str]) -> dict[str, Any]:
    """The JSON object in ``path`` with the values at the dotted prefixes ``skip`` (e.g.
    ``samples``, ``results.results``) replaced by :data:`SKIPPED`, never built in memory."""
    try:
        with path.open("rb") as fh:
            return _build(path, fh, frozenset(skip))
    except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
        raise _json_error(path, exc) from None
    except UnicodeDecodeError:
        raise LogFormatError(path, "not a JSON log (not UTF-8 text)") from None


def _build(path: Path, fh: IO[bytes], skip: frozenset[str]) -> dict[str, Any]:
    events = ijson.parse(fh, use_float=True)
    first = next(events, None)
    if first is None:
        raise LogFormatError(path, "the file is empty")
    if first[1] != "start_map":
        raise LogFormatError(path, "not a JSON log (the document is not an object)")
    builder = ijson.ObjectBuilder()
    builder.event("start_map", None)
    skipping: str | None = None
    depth = 0
    for prefix, event, value in events:
        if skipping is not None:
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    skipping = None
            continue
        if prefix in skip and event in ("start_map", "start_array"):
            skipping, depth = prefix, 1
            builder.event("string", SKIPPED)
            continue
        builder.event(event, value)
    result = builder.value
    if not isinstance(result, dict):  # pragma: no cover - guarded by the first event
        raise LogFormatError(path, "not a JSON log")
    return result


def iter_items(path: Path, prefix: str) -> Iterator[Any]:
    """The items of the array at ``prefix`` (e.g. ``samples.item``), one at a time."""
    try:
        with path.open("rb") as fh:
            yield from ijson.items(fh, prefix, use_float=True)
    except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
        raise _json_error(path, exc) from None
    except UnicodeDecodeError:
        raise LogFormatError(path, "not a JSON log (not UTF-8 text)") from None


def first_value(path: Path, prefix: str) -> Any:
    """The first value at ``prefix`` (e.g. ``eval.eval_id``), reading no further than it."""
    for value in iter_items(path, prefix):
        return value
    return None


def first_keys(path: Path, limit: int = 3) -> list[str]:
    """The first ``limit`` top-level keys of a JSON object (values skipped, not built); an
    empty list for anything that is not a JSON object. Used by the formats' ``detect``."""
    keys: list[str] = []
    try:
        with path.open("rb") as fh:
            if not fh.read(256).lstrip(b" \t\r\n").startswith(b"{"):
                return []
            fh.seek(0)
            for prefix, event, value in ijson.parse(fh):
                if prefix == "" and event == "map_key":
                    keys.append(str(value))
                    if len(keys) >= limit:
                        break
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, OSError):
        pass
    return keys
