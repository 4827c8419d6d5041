"""Readers of the harnesses' own log files: Inspect AI, lm-evaluation-harness, promptfoo and
OpenAI evals. Pure Python, no database, and no harness package imported.

Each format is one small module behind :class:`~.base.Format` (``detect``, ``read_header``,
``iter_samples``); :func:`~.detect.detect_format` picks the one for a file and
:func:`~.detect.find_logs` the importable logs of a folder. :mod:`.aggregate` recomputes from
the samples what each harness reports, which is how the tests prove the import faithful.
The mapping of every field is documented in ``docs/runs-formats.md``.
"""

from evalledger.runs.formats.base import (
    Format,
    LogFormatError,
    LogHeader,
    Metric,
    RunHeader,
    Sample,
    SampleScore,
    Scorer,
    SourceFile,
    Timing,
    TokenUsage,
)
from evalledger.runs.formats.detect import FORMATS, detect_format, find_logs, read_header

__all__ = [
    "FORMATS",
    "Format",
    "LogFormatError",
    "LogHeader",
    "Metric",
    "RunHeader",
    "Sample",
    "SampleScore",
    "Scorer",
    "SourceFile",
    "Timing",
    "TokenUsage",
    "detect_format",
    "find_logs",
    "read_header",
]
