"""How the runs pages read their query parameters, page with a cursor stack, and scale their
intervals: pure functions, unit-tested without a server.

The runs query and the samples query page forward only (keyset cursors on ``created_at, id``
and on ``sample_id, epoch``), so "previous" needs the cursors of the pages already seen. The
page keeps them in its own URL (``back``, repeatable, oldest first, ``""`` for the first
page): the URL alone says where "previous" goes, so a bookmark or the browser's back button
works without any server-side state. The stack keeps the last :data:`MAX_BACK` cursors; beyond
that, "previous" from the oldest kept page is the first page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from evalledger.runs.schemas import Harness, RunStatus, ScorerSummary

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_LIMIT = 25
#: Cursors of earlier pages the URL keeps (each is ~50-350 characters).
MAX_BACK = 20
#: Characters of one sample text (input, output, explanation...) a page shows.
MAX_TEXT = 20_000
HARNESSES: tuple[str, ...] = get_args(Harness)
STATUSES: tuple[str, ...] = get_args(RunStatus)
#: The runs query's text filters and their longest accepted value (as the API checks them).
RUN_TEXT = {"task": 255, "model": 255, "agent": 100, "agent_version": 100}
MAX_TAGS, MAX_TAG = 32, 64
MAX_SEARCH = 200
OUTCOMES = {"passed": True, "true": True, "failed": False, "false": False}


@dataclass
class RunsView:
    """What ``/runs`` was asked for: ``filters`` are ``list_runs`` keyword arguments the API
    would accept; what it would refuse is left out with a notice."""

    filters: dict[str, Any] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT
    notices: list[str] = field(default_factory=list)


@dataclass
class SamplesView:
    """What a run page's samples table was asked for (``list_samples`` keyword arguments)."""

    scorer: str | None = None
    passed: bool | None = None
    search: str = ""
    limit: int = DEFAULT_LIMIT
    notices: list[str] = field(default_factory=list)

    @property
    def filters(self) -> dict[str, Any]:
        return {"scorer": self.scorer, "passed": self.passed, "search": self.search or None}


def read_limit(raw: str | None, notices: list[str]) -> int:
    """A page size of 1 to 200 (blank: the default); anything else a notice and the default."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_LIMIT
    if text.isdigit() and 1 <= int(text) <= 200:
        return int(text)
    notices.append(f"limit: expected 1 to 200; showing {DEFAULT_LIMIT}")
    return DEFAULT_LIMIT


def _choice(name: str, raw: str, allowed: Sequence[str], notices: list[str]) -> str | None:
    if raw in allowed:
        return raw
    notices.append(f"{name}: expected one of {', '.join(allowed)}; {raw[:40]!r} left out")
    return None


def read_runs_view(params: dict[str, str | None], tags: Iterable[str]) -> RunsView:
    """The runs filter ``params`` (and repeated ``tag``) describe, read leniently."""
    view = RunsView()
    given = {k: (v or "").strip() for k, v in params.items()}
    for name, longest in RUN_TEXT.items():
        if value := given.get(name):
            if len(value) <= longest:
                view.filters[name] = value
            else:
                view.notices.append(f"{name}: longer than {longest} characters, left out")
    for name, allowed in (("harness", HARNESSES), ("status", STATUSES)):
        if (value := given.get(name)) and (chosen := _choice(name, value, allowed, view.notices)):
            view.filters[name] = chosen
    kept = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if any(len(t) > MAX_TAG for t in kept):
        view.notices.append(f"tag: longer than {MAX_TAG} characters, left out")
        kept = [t for t in kept if len(t) <= MAX_TAG]
    if len(kept) > MAX_TAGS:
        view.notices.append(f"tag: at most {MAX_TAGS}; the first {MAX_TAGS} kept")
        kept = kept[:MAX_TAGS]
    if kept:
        view.filters["tag"] = kept
    view.limit = read_limit(given.get("limit"), view.notices)
    return view


def read_samples_view(params: dict[str, str | None], scorers: Sequence[str]) -> SamplesView:
    """The samples filter of a run whose scorers are ``scorers``; a scorer the run does not
    have, or an outcome that is not passed/failed, is left out with a notice."""
    view = SamplesView()
    given = {k: (v or "").strip() for k, v in params.items()}
    if scorer := given.get("scorer"):
        view.scorer = _choice("scorer", scorer, scorers, view.notices)
    if outcome := given.get("passed"):
        if outcome.lower() in OUTCOMES:
            view.passed = OUTCOMES[outcome.lower()]
        else:
            view.notices.append(f"passed: expected passed or failed; {outcome[:40]!r} left out")
    search = given.get("search", "")
    if len(search) > MAX_SEARCH:
        view.notices.append(f"search: only the first {MAX_SEARCH} characters are searched")
    view.search = search[:MAX_SEARCH]
    view.limit = read_limit(given.get("limit"), view.notices)
    return view


@dataclass(frozen=True)
class Pager:
    """Where this page is in a forward-only keyset walk: its ``cursor`` (``None``: the first
    page) and the cursors of the pages before it, oldest first (``""``: the first page)."""

    cursor: str | None
    back: tuple[str, ...] = ()

    @classmethod
    def read(cls, cursor: str | None, back: Iterable[str] | None) -> Pager:
        if not cursor:
            return cls(None)
        return cls(cursor, tuple(back or ())[-MAX_BACK:])

    @property
    def at_start(self) -> bool:
        return self.cursor is None

    def next(self, next_cursor: str | None) -> dict[str, Any] | None:
        """The query parameters of the next page (``None``: this is the last)."""
        if next_cursor is None:
            return None
        back = [*self.back, self.cursor or ""][-MAX_BACK:]
        return {"cursor": next_cursor, "back": back}

    def previous(self) -> dict[str, Any] | None:
        """The query parameters of the previous page (``None``: this is the first)."""
        if self.cursor is None:
            return None
        if not self.back:  # the stack was cut (or the URL hand-made): go to the start
            return {"cursor": None, "back": None}
        return {"cursor": self.back[-1] or None, "back": list(self.back[:-1]) or None}


@dataclass(frozen=True)
class Scale:
    """The value range a column of interval whiskers shares, so two runs' bars compare."""

    lo: float
    hi: float


def scale_of(summaries: Iterable[ScorerSummary]) -> Scale:
    """At least 0 to 1 (most scorers score in it), widened to every mean and interval end."""
    ends = [
        v
        for s in summaries
        for v in (s.mean, s.ci_low, s.ci_high)
        if v is not None and math.isfinite(v)
    ]
    lo, hi = min([0.0, *ends]), max([1.0, *ends])
    return Scale(lo, hi if hi > lo else lo + 1)


def scales(runs: Iterable[Sequence[ScorerSummary]]) -> dict[str, Scale]:
    """Per scorer name, the scale over every run that has it."""
    grouped: dict[str, list[ScorerSummary]] = {}
    for summary in runs:
        for s in summary:
            grouped.setdefault(s.scorer, []).append(s)
    return {name: scale_of(group) for name, group in grouped.items()}


def scorer_names(runs: Iterable[Sequence[ScorerSummary]]) -> list[str]:
    """Every scorer of ``runs``, in first-seen order (one table column each)."""
    return list(dict.fromkeys(s.scorer for summary in runs for s in summary))


@dataclass(frozen=True)
class Text:
    """A sample text for a ``<pre>``: JSON for structured values, clipped to ``MAX_TEXT``."""

    body: str
    total: int

    @property
    def clipped(self) -> bool:
        return self.total > len(self.body)


def as_text(value: Any, limit: int = MAX_TEXT) -> Text | None:
    """``None`` for nothing recorded; otherwise the text, its first ``limit`` characters."""
    if value is None:
        return None
    if isinstance(value, str):
        body = value
    else:
        body = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return Text(body[:limit], len(body))
