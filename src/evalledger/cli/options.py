"""Options that mean the same thing in every command, declared once so they are spelled once.

``--project``, ``--limit``, ``--cursor``, ``--json`` and the date/time options (``--start``,
``--end``) read the same and parse the same wherever they appear. Date/time values go through
one parser, :func:`parse_when`: a date (``2026-11-01``), a naive time (taken as UTC) or a time
with an offset or ``Z``. A bad value is one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import typer

from evalledger.cli.common import EXIT_USAGE, fail

WHEN_HELP = "a date (2026-11-01), or a time (2026-11-01T09:30, naive = UTC, or with +02:00 / Z)"

ProjectOpt: Any = typer.Option(None, "--project", help="project name (default: default)")
JsonOpt: Any = typer.Option(
    False, "--json", help="print JSON instead of a table (the REST API's fields where it has them)"
)
CursorOpt: Any = typer.Option(
    None, "--cursor", help="the next_cursor a previous page printed, to read the next page"
)


def limit_option(default: int = 50) -> Any:
    """``--limit N``: page size, 1 to 1000 as in the API."""
    return typer.Option(default, "--limit", min=1, max=1000, help="rows per page")


def parse_when(text: str) -> date | datetime:
    """A date, or a timezone-aware datetime (a naive one is taken as UTC).

    Raises :class:`ValueError` with a one-line reason. ``2026-11-01+00:00`` (a date with an
    offset, which older versions suggested) is read as midnight of that day at that offset.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty value")
    try:
        return date.fromisoformat(value) if len(value) == 10 else _datetime(value)
    except ValueError:
        raise ValueError(f"not a date or time: {text!r} (expected {WHEN_HELP})") from None


def _datetime(value: str) -> datetime:
    if len(value) > 10 and value[10] in "+-Z":  # a date with an offset: midnight there
        value = value[:10] + "T00:00" + value[10:]
    stamp = datetime.fromisoformat(value)
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


def bound(value: date | datetime, *, end: bool) -> datetime:
    """A range bound: a date is the start of that day in UTC, or its last instant when ``end``
    (both ends inclusive, as in ``assessments export``); a datetime is taken as given."""
    if isinstance(value, datetime):
        return value
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1, microseconds=-1) if end else start


def _or_exit(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parser(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            fail(f"{name}: {exc}", EXIT_USAGE)

    return parser


def when_option(name: str, *, end: bool, help: str, hidden: bool = False) -> Any:
    """A ``datetime`` range bound (see :func:`bound`)."""
    return _when(name, end=end, help=help, hidden=hidden, value=lambda when: bound(when, end=end))


def when_text_option(name: str, *, end: bool, help: str, hidden: bool = False) -> Any:
    """Like :func:`when_option`, checked the same way but passed on as ISO text, so a service
    that takes a whole day for a date (and writes the date into a file header) keeps it."""
    return _when(name, end=end, help=help, hidden=hidden, value=lambda when: when.isoformat())


def _when(
    name: str, *, end: bool, help: str, hidden: bool, value: Callable[[date | datetime], Any]
) -> Any:
    """The one declaration of a date/time option: parsed by :func:`parse_when`, then ``value``."""
    edge = "last instant" if end else "start"
    return typer.Option(
        None,
        name,
        metavar="WHEN",
        hidden=hidden,
        parser=_or_exit(name, lambda text: value(parse_when(text))),
        help=f"{help}; {WHEN_HELP}; a date means its {edge} (UTC)",
    )
