"""``/runs/compare?base=ID&candidate=ID``: two runs side by side, regressions first.

The figures (per scorer: paired means with intervals, the difference with its 95% interval,
the p-value, the counts, the gate's verdict) are ``compare_runs``' answer, so the page and
``evalledger runs compare --json`` never disagree; the samples table orders one scorer's
samples regressed, improved, unchanged, missing (:mod:`evalledger.web.compare_view`) and
shows each sample's two outputs next to each other, reading only the page's rows' texts.

Its router is included before the runs pages', or ``/runs/{run_id}`` would take "compare"
for a run id.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.runs.compare_schemas import RunComparison
from evalledger.sdk.ledger import Ledger
from evalledger.web import compare_queries, compare_view
from evalledger.web.compare_view import CompareView
from evalledger.web.detail_pages import page_uuid
from evalledger.web.pages import LenientRoute, render, session, sign_in_redirect
from evalledger.web.runs_view import PAGE_SIZES, as_text

router = APIRouter(include_in_schema=False, route_class=LenientRoute)


def _run_id(value: str | None, name: str) -> uuid.UUID:
    if not value or not value.strip():
        raise NotFoundError(f"{name}: give the id of a run (/runs/compare?base=ID&candidate=ID)")
    try:
        return page_uuid(value.strip())
    except NotFoundError as exc:
        raise NotFoundError(f"{name}: {exc.message}") from None


async def _compare(
    ledger: Ledger, base: uuid.UUID, candidate: uuid.UUID, view: CompareView
) -> RunComparison:
    """``compare_runs`` with the page's parameters; a scorer neither run used is a notice and
    every scorer is compared instead."""

    async def run(scorer: str | None) -> RunComparison:
        return await ledger.compare_runs(
            base,
            candidate,
            scorer=[scorer] if scorer else None,
            alpha=view.alpha,
            min_effect=view.min_effect,
            allow_dataset_change=view.allow_dataset_change,
        )

    if view.scorer is None:
        return await run(None)
    try:
        return await run(view.scorer)
    except ValidationFailed as exc:
        if exc.field != "scorer":
            raise
        view.notices.append(f"{exc.message}: comparing every scorer")
        view.scorer = None
        return await run(None)


@router.get("/runs/compare", response_class=HTMLResponse)
async def compare_page(
    request: Request,
    base: str | None = None,
    candidate: str | None = None,
    scorer: str | None = None,
    alpha: str | None = None,
    min_effect: str | None = None,
    allow_dataset_change: str | None = None,
    by: str | None = None,
    show: str | None = None,
    limit: str | None = None,
    page: str | None = None,
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    base_id, candidate_id = _run_id(base, "base"), _run_id(candidate, "candidate")
    view = compare_view.read_compare_view(
        {
            "scorer": scorer,
            "alpha": alpha,
            "min_effect": min_effect,
            "allow_dataset_change": allow_dataset_change,
            "by": by,
            "show": show,
            "limit": limit,
            "page": page,
        }
    )
    result = await _compare(ledger, base_id, candidate_id, view)  # NotFoundError: the HTML 404
    entry = compare_view.table_scorer(result.comparison, view)
    rows: list[compare_view.SampleRow] = []
    if entry is not None:
        rows = compare_view.sample_rows(
            entry,
            await compare_queries.scorer_values(ledger, base_id, entry.scorer),
            await compare_queries.scorer_values(ledger, candidate_id, entry.scorer),
        )
        if notice := compare_view.disagreement(entry, rows):
            view.notices.append(notice)
    shown = compare_view.page_of(rows, view)
    keys = [r.key for r in shown.rows]
    return render(
        request,
        "compare.html",
        title=f"Compare {result.base.task}",
        session=current,
        notices=view.notices,
        view=view,
        result=result,
        figures=compare_view.scorer_figures(result.comparison, result.gate),
        gate_note=compare_view.gate_note(result.gate),
        entry=entry,
        counts=compare_view.outcome_counts(rows),
        outcomes=compare_view.OUTCOMES,
        shown=shown,
        base_texts=await compare_queries.sample_texts(ledger, base_id, keys),
        candidate_texts=await compare_queries.sample_texts(ledger, candidate_id, keys),
        command=compare_view.cli_command(str(base_id), str(candidate_id), view),
        page_sizes=PAGE_SIZES,
        as_text=as_text,
    )
