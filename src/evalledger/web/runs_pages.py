"""The evaluation runs pages: ``/runs`` (the runs query with its filters, each run's scorers
as mean with interval) and ``/runs/{id}`` (a run's facts, its scorers beside the metrics the
harness reported, and its samples: search, scorer outcome filter, pages both ways).

Both take the REST query's parameter names (``task``, ``model``, ``tag``...; ``scorer``,
``passed``, ``search``), so a view is a bookmarkable URL and the same parameters against
``GET /api/v1/runs`` (``.../{id}/samples``) return the same rows. Every number comes from the
runs facade (``get_run``'s summary), so the page and the API never disagree.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from evalledger.errors import ValidationFailed
from evalledger.pagination import Page
from evalledger.runs.schemas import RunOut, SampleOut
from evalledger.sdk.ledger import Ledger
from evalledger.web import runs_view
from evalledger.web.charts import whisker
from evalledger.web.detail_pages import page_uuid, pretty
from evalledger.web.pages import LenientRoute, render, session, sign_in_redirect
from evalledger.web.runs_view import Pager

router = APIRouter(include_in_schema=False, route_class=LenientRoute)

#: Other runs of the same task the "compare with" form offers.
COMPARE_CHOICES = 50


async def _paged(fetch: Any, pager: Pager, notices: list[str]) -> tuple[Page[Any], Pager]:
    """``fetch(cursor)``'s page; a cursor the query refuses (mangled, hand-edited) is a
    notice and the first page."""
    try:
        return await fetch(pager.cursor), pager
    except ValidationFailed as exc:
        if pager.cursor is None:
            raise
        notices.append(f"{exc.message}: showing the first page")
        return await fetch(None), Pager(None)


def _paging(pager: Pager, next_cursor: str | None) -> dict[str, Any]:
    """What both pages' pager and tables need: the links both ways and the whisker."""
    return {
        "previous": pager.previous(),
        "next": pager.next(next_cursor),
        "at_start": pager.at_start,
        "page_sizes": runs_view.PAGE_SIZES,
        "whisker": whisker,
    }


@router.get("/runs", response_class=HTMLResponse)
async def runs_page(
    request: Request,
    task: str | None = None,
    model: str | None = None,
    harness: str | None = None,
    tag: list[str] | None = Query(None),
    agent: str | None = None,
    agent_version: str | None = None,
    status: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
    back: list[str] | None = Query(None),
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    params = {
        "task": task,
        "model": model,
        "harness": harness,
        "agent": agent,
        "agent_version": agent_version,
        "status": status,
        "limit": limit,
    }
    view = runs_view.read_runs_view(params, tag or [])

    async def fetch(at: str | None) -> Page[RunOut]:
        return await ledger.list_runs(**view.filters, limit=view.limit, cursor=at)

    page, pager = await _paged(fetch, Pager.read(cursor, back), view.notices)
    # The list leaves the statistics out; each run's come from get_run, as the API's do.
    runs = [await ledger.get_run(r.id) for r in page.items]
    summaries = [r.summary for r in runs]
    return render(
        request,
        "runs.html",
        title="Runs",
        session=current,
        notices=view.notices,
        view=view,
        form={k: v or "" for k, v in params.items()},
        runs=runs,
        scorers=runs_view.scorer_names(summaries),
        scales=runs_view.scales(summaries),
        harnesses=runs_view.HARNESSES,
        statuses=runs_view.STATUSES,
        **_paging(pager, page.next_cursor),
    )


async def _compare_choices(ledger: Ledger, run: RunOut) -> list[RunOut]:
    others = await ledger.list_runs(task=run.task, limit=COMPARE_CHOICES)
    return [r for r in others.items if r.id != run.id]


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    request: Request,
    run_id: str,
    scorer: str | None = None,
    passed: str | None = None,
    search: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
    back: list[str] | None = Query(None),
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    run = await ledger.get_run(page_uuid(run_id))  # NotFoundError: the HTML 404
    names = [s.scorer for s in run.summary]
    params = {"scorer": scorer, "passed": passed, "search": search, "limit": limit}
    view = runs_view.read_samples_view(params, names)

    async def fetch(at: str | None) -> Page[SampleOut]:
        return await ledger.list_samples(run.id, **view.filters, limit=view.limit, cursor=at)

    page, pager = await _paged(fetch, Pager.read(cursor, back), view.notices)
    return render(
        request,
        "run.html",
        title=f"Run {run.task}" + (f" · {run.model}" if run.model else ""),
        session=current,
        notices=view.notices,
        run=run,
        view=view,
        form={k: v or "" for k, v in params.items()},
        samples=page.items,
        scorers=names,
        scales=runs_view.scales([run.summary]),
        compare_with=await _compare_choices(ledger, run),
        **_paging(pager, page.next_cursor),
        as_text=runs_view.as_text,
        pretty=pretty,
    )
