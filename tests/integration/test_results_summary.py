"""``summarize_results`` / ``GET /api/v1/results/summary`` and the ``Client``'s results calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from evalledger.stats.intervals import mean_interval, wilson_interval
from tests.conftest import make_key

#: (version, passed, score, tags, category, metadata)
RESULTS: list[tuple[Any, ...]] = [
    ("v1", True, 90.0, ["nightly"], "safety", {"ds": "a"}),
    ("v1", True, 80.0, ["nightly", "smoke"], "safety", {"ds": "b"}),
    ("v1", False, 30.0, [], "logic", {"ds": "a"}),
    ("v2", True, 95.0, ["smoke"], "logic", {"ds": "a"}),
    ("v2", True, 85.0, [], "logic", {}),
    (None, False, 10.0, [], "safety", {"ds": 3}),
]


@pytest.fixture
async def recorded(seeded: Ledger) -> Ledger:
    await seeded.record_custody_tests(
        [
            {
                "agent_type": "guardian",
                "agent_version": version,
                "passed": passed,
                "score": score,
                "tags": tags,
                "test_category": category,
                "metadata": meta,
            }
            for version, passed, score, tags, category, meta in RESULTS
        ]
        + [{"agent_type": "imperium", "agent_version": "v1", "passed": False, "score": 0}]
    )
    return seeded


@pytest.fixture
async def remote(recorded: Ledger) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=create_app(recorded.settings, ledger=recorded))
    key = await make_key(recorded, "read")
    async with Client("http://test", api_key=key, transport=transport) as client:
        yield client


def _expected(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    scores = [r[2] for r in rows]
    passed = sum(1 for r in rows if r[1])
    spread = mean_interval(len(scores), sum(scores), sum(s * s for s in scores))
    return {
        "count": len(rows),
        "passed": passed,
        "pass_rate": pytest.approx(passed / len(rows)),
        "wilson": pytest.approx(wilson_interval(passed, len(rows))),
        "mean": pytest.approx(sum(scores) / len(scores)),
        "spread": None
        if spread is None
        else pytest.approx((max(0.0, spread[0]), min(100.0, spread[1]))),
    }


def _got(group: Any) -> dict[str, Any]:
    spread = group.mean_score_interval
    return {
        "count": group.count,
        "passed": group.passed,
        "pass_rate": group.pass_rate,
        "wilson": (group.pass_rate_interval.low, group.pass_rate_interval.high),
        "mean": group.mean_score,
        "spread": None if spread is None else (spread.low, spread.high),
    }


@pytest.mark.parametrize(
    ("group_by", "groups"),
    [
        ("agent_version", {"v1": [0, 1, 2], "v2": [3, 4], None: [5]}),
        ("tag", {"nightly": [0, 1], "smoke": [1, 3], None: [2, 4, 5]}),
        ("category", {"logic": [2, 3, 4], "safety": [0, 1, 5]}),
        ("metadata.ds", {"3": [5], "a": [0, 2, 3], "b": [1], None: [4]}),
    ],
)
async def test_groups_in_process_and_over_http(
    recorded: Ledger, remote: Client, group_by: str, groups: dict[Any, list[int]]
) -> None:
    for summary in (
        await recorded.summarize_results("guardian", group_by=group_by),
        await remote.summarize_results("guardian", group_by=group_by),
    ):
        assert summary.agent == "guardian" and summary.group_by == group_by
        assert [g.key for g in summary.groups] == list(groups)  # sorted, null last
        for g in summary.groups:
            assert _got(g) == _expected([RESULTS[i] for i in groups[g.key]]), g.key


async def test_time_range_narrows_the_summary(recorded: Ledger) -> None:
    page = await recorded.list_results(agent="guardian", order="asc", limit=10)
    stamps = sorted({r.created_at for r in page.items})
    later = await recorded.summarize_results("guardian", since=stamps[-1])
    assert sum(g.count for g in later.groups) == len(
        [r for r in page.items if r.created_at >= stamps[-1]]
    )
    assert (await recorded.summarize_results("guardian", until=stamps[0])).groups == []


async def test_client_lists_what_the_ledger_lists(recorded: Ledger, remote: Client) -> None:
    for filters in (
        {"agent": "guardian", "tag": ["smoke"]},
        {"agent_version": "v1", "passed": False},
        {"metadata": "ds=a", "sort": "score", "order": "asc"},
        {"min_score": 80, "category": "logic"},
    ):
        here = await recorded.list_results(**filters)
        there = await remote.list_results(**filters)
        assert [r.id for r in there.items] == [r.id for r in here.items] != []
        assert there.items == here.items
    first = await remote.list_results(limit=2)
    second = await remote.list_results(limit=2, cursor=first.next_cursor)
    assert [r.id for r in first.items + second.items] == [
        r.id for r in (await recorded.list_results(limit=4)).items
    ]


async def test_bad_requests(recorded: Ledger, remote: Client, api: httpx.AsyncClient) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        await recorded.summarize_results("nobody")
    with pytest.raises(NotFoundError):
        await remote.summarize_results("nobody")
    with pytest.raises(ValidationFailed, match="group_by"):
        await recorded.summarize_results("guardian", group_by="score")
    for params in ({"agent": "guardian", "group_by": "metadata."}, {"group_by": "tag"}):
        response = await api.get("/api/v1/results/summary", params=params)
        assert response.status_code == 422, response.text


async def test_sync_client_against_a_real_server(seeded: Ledger) -> None:
    from evalledger import SyncClient
    from tests.integration.test_server_and_clients import running_server

    key = await make_key(seeded, "write")
    with (
        running_server(seeded.settings.database_url) as base,
        SyncClient(base, api_key=key) as client,
    ):
        client.record_custody_tests(
            [
                {"agent_type": "sandbox", "passed": i < 3, "score": 50 + i, "agent_version": v}
                for i, v in enumerate(["v1", "v1", "v2", "v2"])
            ]
        )
        page = client.list_results(agent="sandbox", agent_version="v2", sort="score")
        assert [r.score for r in page.items] == [53.0, 52.0]
        summary = client.summarize_results("sandbox")
        assert [(g.key, g.count, g.passed) for g in summary.groups] == [("v1", 2, 2), ("v2", 2, 1)]
