"""Which format a log file is in, and which files of a folder are importable logs.

Detection looks at the file itself (ZIP signature, the first keys of a JSON document, the
first line of a JSONL file), never only at its name, so a renamed log still imports and a
stray ``.json`` is refused with a message that names it.
"""

from __future__ import annotations

from pathlib import Path

from evalledger.runs.formats.base import Format, LogFormatError, LogHeader
from evalledger.runs.formats.inspect import InspectFormat
from evalledger.runs.formats.lm_eval import LmEvalFormat, is_samples_file
from evalledger.runs.formats.openai_evals import OpenAIEvalsFormat
from evalledger.runs.formats.promptfoo import PromptfooFormat

#: Every known format, in the order detection tries them.
FORMATS: tuple[Format, ...] = (
    InspectFormat(),
    PromptfooFormat(),
    LmEvalFormat(),
    OpenAIEvalsFormat(),
)


def detect_format(path: str | Path) -> Format:
    """The format of the log at ``path``, or :class:`LogFormatError` naming the file."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(path, "no such file")
    if path.is_dir():
        raise LogFormatError(path, "is a folder, not a log file (import its files instead)")
    for fmt in FORMATS:
        if fmt.detect(path):
            return fmt
    if is_samples_file(path):
        raise LogFormatError(
            path,
            "is an lm-evaluation-harness samples file: import the results_*.json beside it, "
            "which reads its samples files",
        )
    names = ", ".join(f.name for f in FORMATS)
    raise LogFormatError(path, f"not a log format evalledger knows ({names})")


def read_header(path: str | Path) -> tuple[Format, LogHeader]:
    """The format of ``path`` and its header, in one call."""
    fmt = detect_format(path)
    return fmt, fmt.read_header(Path(path))


def find_logs(folder: str | Path) -> list[tuple[Path, Format]]:
    """The importable logs under ``folder`` (recursively, sorted by path) with their formats.

    Files no format recognises are skipped, as are lm-eval samples files (their results file
    reads them); importing a folder means importing the logs in it, not failing on its
    README. A single file is returned as itself (and must then be a log).
    """
    root = Path(folder)
    if root.is_file():
        return [(root, detect_format(root))]
    if not root.is_dir():
        raise LogFormatError(root, "no such file or folder")
    found: list[tuple[Path, Format]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if is_samples_file(path):
            continue
        fmt = next((f for f in FORMATS if f.detect(path)), None)
        if fmt is not None:
            found.append((path, fmt))
    return found
