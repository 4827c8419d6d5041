"""The results pages: ``/results`` (the results query with its filters), a result's detail,
and the grouped comparison chart of an agent's page.

``/results`` takes the REST query's parameter names (``agent``, ``passed``, ``min_score``,
``since``, ``tag``...), so a view is a bookmarkable URL and the same URL minus the host is the
API call that returns the same rows. A value the page cannot read becomes a notice and is
left out (never a JSON 422). Pages go both ways over the query's keyset cursors: ``after=C``
is the page after ``C`` in the chosen order, ``before=C`` the page before it (the query run
in the opposite order, then reversed), and ``last=1`` the final page, so the oldest result is
one click away however many there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from evalledger.agents.progression import DIFFICULTY_LADDER
from evalledger.agents.results_schemas import (
    ORDERS,
    SORTS,
    ResultSort,
    ResultsSummary,
    SortOrder,
    check_group_by,
    result_filter,
)
from evalledger.agents.schemas import CustodyTestOut
from evalledger.errors import ValidationFailed
from evalledger.pagination import Page
from evalledger.sdk.ledger import Ledger
from evalledger.web import queries
from evalledger.web.charts import Span, interval_chart
from evalledger.web.detail_pages import page_uuid, pretty
from evalledger.web.pages import LenientRoute, not_found, render, session, sign_in_redirect
from evalledger.web.ranges import TimeRange, parse_moment

router = APIRouter(include_in_schema=False, route_class=LenientRoute)

#: The single-valued filters of the results query, as the page's form offers them.
TEXT_FILTERS = ("agent", "test_type", "category", "difficulty", "agent_version")
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_LIMIT = 25
#: Groupings the comparison chart offers (the summary also takes ``metadata.KEY``).
GROUPINGS = ("agent_version", "tag", "category")


@dataclass
class ResultsView:
    """What ``/results`` was asked for, read leniently: ``filters`` are ``list_results``
    keyword arguments that passed the results query's own validation."""

    filters: dict[str, Any] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    sort: ResultSort = "time"
    order: SortOrder = "desc"
    limit: int = DEFAULT_LIMIT
    q: str = ""
    notices: list[str] = field(default_factory=list)


def _passed(text: str) -> bool | None:
    value = {"true": True, "pass": True, "1": True, "false": False, "fail": False, "0": False}
    if text.lower() not in value:
        raise ValueError("passed: expected true or false")
    return value[text.lower()]


def _score(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


_READERS: dict[str, Any] = {
    "passed": _passed,
    "min_score": _score,
    "max_score": _score,
    "since": parse_moment,
    "until": lambda t: parse_moment(t, end=True),
}


def read_view(params: dict[str, str | None], tags: list[str], metadata: list[str]) -> ResultsView:
    """The view ``params`` describe. Unreadable values are dropped with a notice each."""
    view = ResultsView()
    given = {k: (v or "").strip() for k, v in params.items()}
    view.form = {k: v for k, v in given.items() if v}
    view.q = given.get("q", "")[:100]
    candidates: dict[str, Any] = {k: given[k] for k in TEXT_FILTERS if given.get(k)}
    for name, reader in _READERS.items():
        if given.get(name):
            try:
                candidates[name] = reader(given[name])
            except ValueError:
                view.notices.append(f"{name}: cannot read {given[name][:40]!r}, left out")
    for name, values in (("tag", tags), ("metadata", metadata)):
        if kept := [v.strip() for v in values if v.strip()]:
            candidates[name] = kept
    # The results query's own rules (lengths, patterns, min <= max...): drop what fails.
    while True:
        try:
            result_filter(**candidates)
            break
        except ValidationFailed as exc:
            failed = {(name or "").split(".")[0] for name, _ in exc.errors} & set(candidates)
            for field_name, message in exc.errors:
                blamed = (field_name or "filter").split(".")[0]
                view.notices.append(f"{message}: {blamed} left out")
            if not failed:  # nothing to blame: show every result rather than none
                candidates = {}
            for name in failed:
                del candidates[name]
    view.filters = candidates
    view.tags, view.metadata = view.filters.get("tag", []), view.filters.get("metadata", [])
    sort, order = given.get("sort") or "time", given.get("order") or "desc"
    limit = given.get("limit")
    if sort in SORTS:
        view.sort = sort  # type: ignore[assignment]
    else:
        view.notices.append(f"sort: expected one of {', '.join(SORTS)}; sorted by time")
    if order in ORDERS:
        view.order = order  # type: ignore[assignment]
    else:
        view.notices.append(f"order: expected one of {', '.join(ORDERS)}; newest first")
    if limit:
        if limit.isdigit() and 1 <= int(limit) <= 200:
            view.limit = int(limit)
        else:
            view.notices.append(f"limit: expected 1 to 200; showing {DEFAULT_LIMIT}")
    return view


@dataclass(frozen=True)
class Window:
    """One page of results and the cursors of its neighbours (``None``: no such page)."""

    items: list[CustodyTestOut]
    before: str | None
    after: str | None


async def _fetch(
    ledger: Ledger, view: ResultsView, order: SortOrder, cursor: str | None
) -> Page[CustodyTestOut]:
    if view.q:
        return await queries.search_results(
            ledger,
            result_filter(**view.filters),
            view.q,
            sort=view.sort,
            order=order,
            limit=view.limit,
            cursor=cursor,
        )
    return await ledger.list_results(
        **view.filters, sort=view.sort, order=order, limit=view.limit, cursor=cursor
    )


async def window(
    ledger: Ledger, view: ResultsView, *, after: str | None, before: str | None, last: bool
) -> Window:
    """The page after ``after``, before ``before``, the last page, or the first."""
    if before is not None or last:
        flipped: SortOrder = "asc" if view.order == "desc" else "desc"
        page = await _fetch(ledger, view, flipped, before)
        if page.next_cursor is not None or last:
            items = list(reversed(page.items))
            more_before = page.next_cursor is not None
            return _window(items, view.sort, more_before, more_after=not last and bool(items))
        after = None  # fewer than a page before it: that is the first page
    page = await _fetch(ledger, view, view.order, after)
    return _window(page.items, view.sort, after is not None, page.next_cursor is not None)


def _window(
    items: list[CustodyTestOut], sort: ResultSort, more_before: bool, more_after: bool
) -> Window:
    return Window(
        items,
        before=queries.cursor_at(items[0], sort) if items and more_before else None,
        after=queries.cursor_at(items[-1], sort) if items and more_after else None,
    )


@router.get("/results", response_class=HTMLResponse)
async def results_page(
    request: Request,
    agent: str | None = None,
    test_type: str | None = None,
    category: str | None = None,
    difficulty: str | None = None,
    passed: str | None = None,
    min_score: str | None = None,
    max_score: str | None = None,
    since: str | None = None,
    until: str | None = None,
    agent_version: str | None = None,
    tag: list[str] | None = Query(None),
    metadata: list[str] | None = Query(None),
    sort: str | None = None,
    order: str | None = None,
    limit: str | None = None,
    q: str | None = None,
    after: str | None = None,
    before: str | None = None,
    last: str | None = None,
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    params = {
        "agent": agent,
        "test_type": test_type,
        "category": category,
        "difficulty": difficulty,
        "passed": passed,
        "min_score": min_score,
        "max_score": max_score,
        "since": since,
        "until": until,
        "agent_version": agent_version,
        "sort": sort,
        "order": order,
        "limit": limit,
        "q": q,
    }
    view = read_view(params, tag or [], metadata or [])
    try:
        shown = await window(current.ledger, view, after=after, before=before, last=bool(last))
    except ValidationFailed as exc:  # a cursor of another ordering, or mangled
        view.notices.append(f"{exc.message}: showing the first page")
        shown = await window(current.ledger, view, after=None, before=None, last=False)
    agents = {a.agent_type for a in await current.ledger.list_agents()}
    if "agent" in view.filters:  # a bookmarked agent since deleted still shows as chosen
        agents.add(view.filters["agent"])
    return render(
        request,
        "results.html",
        title="Results",
        session=current,
        notices=view.notices,
        view=view,
        page=shown,
        at_start=after is None and before is None and not last,
        at_end=bool(last),
        agents=sorted(agents),
        sorts=SORTS,
        orders=ORDERS,
        page_sizes=PAGE_SIZES,
        difficulties=DIFFICULTY_LADDER,
    )


@router.get("/results/{result_id}", response_class=HTMLResponse)
async def result_page(request: Request, result_id: str, back: str | None = None) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    result = await queries.result_by_id(current.ledger, page_uuid(result_id))
    if result is None:
        return not_found(request, f"no result {result_id!r} in this project")
    back_to = back if back and back.startswith("/results") and "//" not in back else "/results"
    return render(
        request,
        "result.html",
        title=f"Result {str(result.id)[:8]}",
        session=current,
        r=result,
        back=back_to,
        pretty=pretty,
    )


@dataclass(frozen=True)
class Comparison:
    """The agent page's "compare groups" section."""

    group_by: str
    summary: ResultsSummary | None
    pass_chart: Any
    score_chart: Any
    notice: str | None = None


async def comparison(
    ledger: Ledger, agent: str, group_by: str | None, span: TimeRange
) -> Comparison:
    """The agent's results grouped by ``group_by`` over ``span``: pass rate with its Wilson
    interval and mean score with its interval, one row per group."""
    notice = None
    chosen = group_by or "agent_version"
    try:
        check_group_by(chosen)
    except ValidationFailed as exc:
        notice, chosen = f"{exc.message}; grouped by agent_version", "agent_version"
    summary = await ledger.summarize_results(
        agent, group_by=chosen, since=span.since, until=span.until
    )
    pass_spans, score_spans = [], []
    for g in summary.groups:
        label = g.key if g.key is not None else "(none)"
        note = f" · {g.count} results"
        interval = g.pass_rate_interval
        pass_spans.append(
            Span(label, 100 * g.pass_rate, 100 * interval.low, 100 * interval.high, note)
        )
        mean = g.mean_score_interval
        low, high = (mean.low, mean.high) if mean else (g.mean_score, g.mean_score)
        score_spans.append(Span(label, g.mean_score, low, high, note))
    pass_chart = interval_chart(
        pass_spans, title="pass rate per group", css_class="compare-pass", lo=0, hi=100, unit="%"
    )
    score_chart = interval_chart(
        score_spans, title="mean score per group", css_class="compare-score", lo=0, hi=100
    )
    return Comparison(chosen, summary, pass_chart, score_chart, notice)
