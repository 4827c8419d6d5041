"""A log and the files it reads beside it, as one upload (standard library only).

Most harness logs are one file, but an lm-evaluation-harness ``results_<date>.json`` reads its
samples from ``samples_<task>_<date>.jsonl`` beside it. Uploading the results file alone would
import its runs without a single sample, so :meth:`evalledger.Client.import_run` sends such a
log as a *bundle*: an uncompressed (stored) ZIP of the log and its companions with a marker
member naming the log. The server unpacks it into its temporary folder and imports the log
exactly as the in-process ``Ledger`` imports it from disk. Members must be stored, not
compressed, so unpacking never writes more bytes than the request carried (no ZIP bomb), and
names are reduced to plain file names (no path leaves the folder).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from evalledger.errors import ValidationFailed

#: The member that makes a ZIP an evalledger bundle (an Inspect ``.eval`` log never has it).
MARKER = "evalledger-bundle.json"
_RESULTS = re.compile(r"^results_(?P<date>.+)\.json$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name kept as a run's ``source_file`` without letting it name a path."""
    return _UNSAFE.sub("_", Path(name).name)[:200] or "upload"


def companions(log: Path) -> list[Path]:
    """The files ``log`` reads beside it: an lm-eval results file's samples files."""
    match = _RESULTS.match(log.name)
    if match is None:
        return []
    suffix = f"_{match['date']}.jsonl"
    return sorted(
        p for p in log.parent.glob("samples_*.jsonl") if p.name.endswith(suffix) and p.is_file()
    )


def write_bundle(log: Path, extra: list[Path], target: Path) -> Path:
    """``log`` and ``extra`` stored (uncompressed) in the ZIP ``target``."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MARKER, json.dumps({"log": log.name}))
        for path in (log, *extra):
            archive.write(path, path.name)
    return target


def unpack_bundle(upload: Path, folder: Path) -> Path | None:
    """The log of the bundle ``upload`` unpacked into ``folder``; None if ``upload`` is not a
    bundle (any other file is imported as itself)."""
    if not zipfile.is_zipfile(upload):
        return None
    try:
        with zipfile.ZipFile(upload) as archive:
            if MARKER not in archive.namelist():
                return None
            log = safe_name(str(json.loads(archive.read(MARKER)).get("log", "")))
            for info in archive.infolist():
                if info.filename == MARKER:
                    continue
                if info.compress_type != zipfile.ZIP_STORED:
                    raise ValidationFailed(
                        f"file: bundle member {info.filename[:100]!r} is compressed; bundles "
                        "hold stored (uncompressed) members only",
                        field="file",
                    )
                (folder / safe_name(info.filename)).write_bytes(archive.read(info))
    except (zipfile.BadZipFile, ValueError, AttributeError, OSError) as exc:
        raise ValidationFailed(f"file: not a readable bundle ({exc})", field="file") from None
    target = folder / log
    if not target.is_file():
        raise ValidationFailed(f"file: the bundle does not hold its log {log!r}", field="file")
    return target
