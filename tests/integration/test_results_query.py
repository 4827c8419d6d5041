"""``list_results`` / ``GET /api/v1/results``: every filter, both orderings, stable cursors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from evalledger.errors import ValidationFailed
from evalledger.sdk.ledger import Ledger

#: (agent, passed, score, category, difficulty, test_type, tags, version, metadata)
ROWS: list[tuple[Any, ...]] = [
    ("guardian", True, 95.0, "safety", "basic", "single", ["a", "b"], "v1", {"ds": "x", "n": 1}),
    ("guardian", False, 20.0, "safety", "expert", "single", ["a"], "v1", {"ds": "y"}),
    ("guardian", True, 70.0, "logic", "basic", "olympus", ["b"], "v2", {"ds": "x", "ok": True}),
    ("imperium", True, 55.5, "logic", "master", "single", [], "v2", {"n": 1}),
    ("imperium", False, 5.0, "general", "basic", "single", ["a", "b", "c"], None, {}),
]


async def _record(ledger: Ledger) -> list[uuid.UUID]:
    ids = []
    for agent, passed, score, category, difficulty, test_type, tags, version, meta in ROWS:
        out = await ledger.update_custody_test_result(
            agent,
            {
                "passed": passed,
                "score": score,
                "test_category": category,
                "test_difficulty": difficulty,
                "test_type": test_type,
                "tags": tags,
                "agent_version": version,
                "metadata": meta,
            },
        )
        ids.append(out.result_id)
    return ids


CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({}, [0, 1, 2, 3, 4]),
    ({"agent": "guardian"}, [0, 1, 2]),
    ({"test_type": "olympus"}, [2]),
    ({"category": "logic"}, [2, 3]),
    ({"difficulty": "basic"}, [0, 2, 4]),
    ({"passed": True}, [0, 2, 3]),
    ({"passed": False}, [1, 4]),
    ({"min_score": 55.5}, [0, 2, 3]),
    ({"max_score": 55.5}, [1, 3, 4]),
    ({"min_score": 20, "max_score": 70}, [1, 2, 3]),
    ({"tag": "a"}, [0, 1, 4]),
    ({"tag": ["a", "b"]}, [0, 4]),
    ({"tag": ["c", "nope"]}, []),
    ({"agent_version": "v2"}, [2, 3]),
    ({"metadata": "ds=x"}, [0, 2]),
    ({"metadata": ["ds=x", "n=1"]}, [0]),
    ({"metadata": "n=1"}, [0, 3]),
    ({"metadata": "ok=true"}, [2]),
    ({"agent": "guardian", "passed": True, "tag": "b", "agent_version": "v2"}, [2]),
]


@pytest.mark.parametrize(("filters", "expected"), CASES)
async def test_each_filter_in_process_and_over_rest(
    seeded: Ledger, api: httpx.AsyncClient, filters: dict[str, Any], expected: list[int]
) -> None:
    ids = await _record(seeded)
    want = [ids[i] for i in reversed(expected)]  # newest first
    page = await seeded.list_results(**filters)
    assert [r.id for r in page.items] == want
    params = {
        k: ("true" if v is True else "false" if v is False else v) for k, v in filters.items()
    }
    response = await api.get("/api/v1/results", params=params)
    assert response.status_code == 200, response.text
    assert [uuid.UUID(r["id"]) for r in response.json()["items"]] == want


async def test_time_range_since_inclusive_until_exclusive(seeded: Ledger) -> None:
    ids = await _record(seeded)
    rows = (await seeded.list_results(order="asc")).items
    assert [r.id for r in rows] == ids
    middle = rows[2].created_at
    assert [r.id for r in (await seeded.list_results(since=middle, order="asc")).items] == ids[2:]
    assert [r.id for r in (await seeded.list_results(until=middle, order="asc")).items] == ids[:2]
    later = datetime.now(UTC) + timedelta(days=1)
    assert (await seeded.list_results(since=later)).items == []


async def test_sort_by_score_pages_through_ties(seeded: Ledger) -> None:
    items = [{"agent_type": "sandbox", "passed": True, "score": float(i % 3)} for i in range(10)]
    await seeded.record_custody_tests(items)
    seen, cursor = [], None
    while True:
        page = await seeded.list_results(sort="score", order="desc", limit=3, cursor=cursor)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len({r.id for r in seen}) == 10
    assert [r.score for r in seen] == sorted((r.score for r in seen), reverse=True)
    ascending = (await seeded.list_results(sort="score", order="asc", limit=10)).items
    assert [r.score for r in ascending] == sorted(r.score for r in seen)


@pytest.mark.parametrize(("sort", "order"), [("time", "desc"), ("time", "asc"), ("score", "desc")])
async def test_page_walk_while_results_are_written(seeded: Ledger, sort: str, order: str) -> None:
    """No duplicates and no gaps among the rows that existed when the walk started, with new
    results (some scoring in the middle of the walk's range) recorded between every page."""
    await seeded.record_custody_tests(
        [{"agent_type": "guardian", "passed": i % 2 == 0, "score": i % 100} for i in range(60)]
    )
    before = {r.id for r in (await seeded.list_results(limit=1000)).items}
    assert len(before) == 60
    seen: list[uuid.UUID] = []
    cursor, pages, written = None, 0, 0
    while True:
        page = await seeded.list_results(
            agent="guardian", sort=sort, order=order, limit=7, cursor=cursor
        )
        seen += [r.id for r in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        # Between pages: a single result and a small batch, scores across the whole range.
        await seeded.update_custody_test_result("guardian", {"passed": True, "score": 30})
        await seeded.record_custody_tests(
            [{"agent_type": "guardian", "passed": False, "score": s} for s in (5, 55, 95)]
        )
        written += 4
    assert pages >= 9 and written >= 32
    assert len(seen) == len(set(seen)), "a result was returned twice"
    assert before <= set(seen), "a result that existed before the walk was skipped"


async def test_cursor_of_another_ordering_and_garbage_are_422(
    seeded: Ledger, api: httpx.AsyncClient
) -> None:
    await seeded.record_custody_tests(
        [{"agent_type": "guardian", "passed": True, "score": 1} for _ in range(3)]
    )
    by_time = (await seeded.list_results(limit=1)).next_cursor
    assert by_time is not None
    with pytest.raises(ValidationFailed, match="cursor"):
        await seeded.list_results(sort="score", limit=1, cursor=by_time)
    for params in (
        {"cursor": "not-a-cursor"},
        {"min_score": "60", "max_score": "50"},
        {"since": "1700000000"},
        {"passed": "maybe"},
        {"sort": "name"},
        {"metadata": "novalue"},
        {"tag": "x" * 65},
        {"limt": "5"},
    ):
        response = await api.get("/api/v1/results", params=params)
        assert response.status_code == 422, (params, response.text)
        assert next(iter(params)) in response.text, (params, response.text)


async def test_other_projects_results_are_invisible(seeded: Ledger, app_for: Any) -> None:
    from tests.conftest import make_key

    await _record(seeded)
    key = await make_key(seeded, "read", project="elsewhere")
    async with app_for(Authorization=f"Bearer {key}") as other:
        response = await other.get("/api/v1/results")
    assert response.status_code == 200 and response.json()["items"] == []


async def test_only_list_parameters_may_repeat(seeded: Ledger, api: httpx.AsyncClient) -> None:
    ids = await _record(seeded)
    response = await api.get("/api/v1/results?tag=a&tag=b&metadata=ds=x&metadata=n=1")
    assert response.status_code == 200, response.text
    assert [uuid.UUID(r["id"]) for r in response.json()["items"]] == [ids[0]]
    response = await api.get("/api/v1/results?agent=guardian&agent=imperium")
    assert response.status_code == 422 and "more than once" in response.text
