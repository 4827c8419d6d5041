"""The time range a page's charts cover: ``?range=24h|7d|30d|all|custom&from=...&to=...``.

Pure (``now`` is passed in), so the arithmetic is unit-tested without a server. A value the
page cannot read is not an error page: it becomes a notice and the range falls back to
``all``, since a half-typed custom date in a bookmark should still show the charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: The named ranges, in the order the range picker offers them.
RANGES: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
LABELS = {"24h": "24 h", "7d": "7 d", "30d": "30 d", "all": "all", "custom": "custom"}


@dataclass(frozen=True)
class TimeRange:
    """``[since, until)``; ``None`` is open on that side."""

    name: str
    since: datetime | None
    until: datetime | None
    notice: str | None = None
    raw_from: str = ""
    raw_to: str = ""

    def clamp(self, moment: datetime) -> datetime:
        """``moment`` moved into the range: a day that began before "24 h" ago is drawn at
        the range's start (its point counts only the results inside the range)."""
        moment = aware(moment)
        if self.since is not None and moment < self.since:
            return self.since
        if self.until is not None and moment > self.until:
            return self.until
        return moment

    def overlaps_day(self, day_start: datetime) -> bool:
        """Whether the UTC day starting at ``day_start`` has any moment in the range."""
        day_start = aware(day_start)
        return (self.since is None or day_start + timedelta(days=1) > self.since) and (
            self.until is None or day_start < self.until
        )


def aware(moment: datetime) -> datetime:
    """A naive time read as UTC (as the CLI and the results query read them)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """``2026-11-30`` (a whole UTC day: its start, or with ``end`` the next day's) or ISO 8601.

    Raises :class:`ValueError` for anything else.
    """
    text = text.strip()
    if len(text) == 10:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + timedelta(days=1) if end else day
    return aware(datetime.fromisoformat(text))


def resolve(name: str | None, raw_from: str | None, raw_to: str | None, now: datetime) -> TimeRange:
    """The range a page asked for; unreadable input gives ``all`` and a notice."""
    raw_from, raw_to = (raw_from or "").strip(), (raw_to or "").strip()
    name = (name or ("custom" if raw_from or raw_to else "all")).strip()
    if name in RANGES:
        span = RANGES[name]
        return TimeRange(name, None if span is None else now - span, None, None, raw_from, raw_to)
    if name != "custom":
        return TimeRange(
            "all", None, None, f"range {name[:20]!r} is not one of {', '.join(LABELS)}: showing all"
        )
    try:
        since = parse_moment(raw_from) if raw_from else None
        until = parse_moment(raw_to, end=True) if raw_to else None
    except ValueError:
        return TimeRange(
            "all",
            None,
            None,
            "from/to: expected a date (2026-11-30) or an ISO 8601 time: showing all",
            raw_from,
            raw_to,
        )
    if since is not None and until is not None and since >= until:
        return TimeRange("all", None, None, "from is not before to: showing all", raw_from, raw_to)
    return TimeRange("custom", since, until, None, raw_from, raw_to)


def axis(span: TimeRange, moments: list[datetime], now: datetime) -> tuple[datetime, datetime]:
    """The time axis of a chart of ``moments`` over ``span``.

    A named or custom range spans exactly the range (an open end stops at ``now`` or the
    first point), so two charts over "7 d" share an axis; "all" spans the data.
    """
    points = sorted(aware(m) for m in moments)
    start = span.since or (points[0] if points else now)
    end = span.until or (now if span.since is not None else (points[-1] if points else now))
    return start, max(start, end)
