"""``GET /api/v1/results`` and ``GET /api/v1/results/summary``. Thin: parse, call, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from evalledger.agents.result_fields import MAX_TAG_LENGTH, MAX_TAGS
from evalledger.agents.results_schemas import (
    GROUP_BY_HELP,
    GROUP_BY_PATTERN,
    MAX_METADATA_FILTERS,
    ResultSort,
    ResultsSummary,
    SortOrder,
)
from evalledger.agents.schemas import AGENT_TYPE_PATTERN, CustodyTestOut, Difficulty
from evalledger.api.deps import Reader
from evalledger.api.params import Cursor, PageLimit
from evalledger.api.types import IsoDatetime
from evalledger.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["results"])

Agent = Annotated[
    str | None, Query(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN, description="agent")
]
Text50 = Annotated[str | None, Query(min_length=1, max_length=50)]
Score = Annotated[float | None, Query(ge=0, le=100)]
Since = Annotated[IsoDatetime | None, Query(description="recorded at or after (ISO 8601)")]
Until = Annotated[IsoDatetime | None, Query(description="recorded before (ISO 8601, exclusive)")]


@router.get(
    "/results",
    response_model=Page[CustodyTestOut],
    summary="Find results: filter, sort, page",
    description=(
        "Every filter given must hold. `tag` may repeat (results with all the tags); "
        "`metadata=key=value` may repeat (values compared as text). Pages are keyset "
        "paginated: pass `next_cursor` back as `cursor` with the same filters and sort."
    ),
)
async def list_results(
    ledger: Reader,
    agent: Agent = None,
    test_type: Text50 = None,
    category: Text50 = None,
    difficulty: Difficulty | None = None,
    passed: bool | None = None,
    min_score: Score = None,
    max_score: Score = None,
    since: Since = None,
    until: Until = None,
    tag: Annotated[
        list[Annotated[str, Query(max_length=MAX_TAG_LENGTH)]] | None,
        Query(max_length=MAX_TAGS, description="repeatable: results with all these tags"),
    ] = None,
    agent_version: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    metadata: Annotated[
        list[Annotated[str, Query(max_length=265)]] | None,
        Query(max_length=MAX_METADATA_FILTERS, description="repeatable key=value"),
    ] = None,
    sort: ResultSort = "time",
    order: SortOrder = "desc",
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> Page[CustodyTestOut]:
    return await ledger.list_results(
        agent=agent,
        test_type=test_type,
        category=category,
        difficulty=difficulty,
        passed=passed,
        min_score=min_score,
        max_score=max_score,
        since=since,
        until=until,
        tag=tag,
        agent_version=agent_version,
        metadata=metadata,
        sort=sort,
        order=order,
        limit=limit or 50,
        cursor=cursor,
    )


@router.get(
    "/results/summary",
    response_model=ResultsSummary,
    summary="Compare an agent's results grouped by a field",
    description=(
        "Per group: count, passes, pass rate with its Wilson 95% interval, mean score with "
        "its 95% interval (normal approximation, sample standard deviation)."
    ),
)
async def summarize_results(
    ledger: Reader,
    agent: Annotated[str, Query(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)],
    group_by: Annotated[
        str, Query(min_length=1, max_length=80, pattern=GROUP_BY_PATTERN, description=GROUP_BY_HELP)
    ] = "agent_version",
    since: Since = None,
    until: Until = None,
) -> ResultsSummary:
    return await ledger.summarize_results(agent, group_by=group_by, since=since, until=until)
