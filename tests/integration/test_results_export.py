"""The streamed results export: exactly what ``list_results`` pages through, as JSONL or CSV,
in-process, through the Client (REST) and through ``evalledger results export``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from evalledger.agents.results_export import ExportPlan, export_chunks
from evalledger.agents.results_rows import CSV_COLUMNS
from evalledger.api.app import create_app
from evalledger.errors import ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.support.cli import run_cli

FILTERS: list[dict[str, Any]] = [
    {},
    {"agent": "guardian", "passed": True},
    {"tag": ["nightly"], "sort": "score", "order": "asc"},
    {"metadata": "ds=a", "min_score": 20},
    {"since": datetime(2000, 1, 1, tzinfo=UTC), "until": "2999-01-01T00:00:00Z", "tag": "nightly"},
]


async def _record(ledger: Ledger, count: int = 12) -> None:
    await ledger.seed_default_agents()
    for i in range(count):
        await ledger.update_custody_test_result(
            "guardian" if i % 4 else "imperium",
            {
                "passed": i % 2 == 0,
                "score": float(i % 5) * 10,  # ties, so the score order leans on its keyset
                "tags": ["nightly"] if i % 3 == 0 else [],
                "metadata": {"ds": "a" if i < 8 else "b", "note": 'line\nbreak, "quoted"'},
            },
        )


async def _listed(ledger: Ledger, **filters: Any) -> list[str]:
    """Every id ``list_results`` returns for ``filters``, walking all its pages (3 at a time)."""
    ids: list[str] = []
    cursor = None
    while True:
        page = await ledger.list_results(**filters, limit=3, cursor=cursor)
        ids.extend(str(r.id) for r in page.items)
        if (cursor := page.next_cursor) is None:
            return ids


def _exported(path: Path, fmt: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            return [json.loads(line)["id"] for line in fh]
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [row[0] for row in rows[1:]]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_in_process_export_holds_exactly_the_listed_results(
    ledger: Ledger, tmp_path: Path, fmt: str
) -> None:
    await _record(ledger)
    for i, filters in enumerate(FILTERS):
        out = tmp_path / f"{i}.{fmt}"
        done = await ledger.export_results(out, format=fmt, **filters)
        want = await _listed(ledger, **filters)
        assert _exported(out, fmt) == want, filters
        assert done.count == len(want) and done.path == str(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial left


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_client_export_matches_the_ledger(ledger: Ledger, tmp_path: Path, fmt: str) -> None:
    await _record(ledger)
    key = await make_key(ledger, "read")
    transport = httpx.ASGITransport(app=create_app(ledger.settings, ledger=ledger))
    async with Client("http://test", api_key=key, transport=transport) as client:
        for i, filters in enumerate(FILTERS):
            out = tmp_path / f"{i}.{fmt}"
            done = await client.export_results(out, format=fmt, **filters)
            want = await _listed(ledger, **filters)
            assert _exported(out, fmt) == want, filters
            assert done.count == len(want)
        jsonl = tmp_path / "0.jsonl"
        if fmt == "jsonl":  # the same rows, field for field, as the in-process export
            local = tmp_path / "local.jsonl"
            await ledger.export_results(local)
            assert jsonl.read_text() == local.read_text()
        with pytest.raises(ValidationFailed) as info:
            await client.export_results(tmp_path / "bad", min_score=80, max_score=10)
        assert info.value.field == "min_score"
        assert not (tmp_path / "bad").exists()


async def test_rest_refuses_a_bad_filter_before_streaming(ledger: Ledger) -> None:
    key = await make_key(ledger, "read")
    transport = httpx.ASGITransport(app=create_app(ledger.settings, ledger=ledger))
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for params in ({"format": "xml"}, {"min_score": "101"}, {"limit": "5"}):
            response = await http.get("/api/v1/results/export", params=params, headers=headers)
            assert response.status_code == 422, (params, response.text)
        response = await http.get(
            "/api/v1/results/export", params={"format": "csv"}, headers=headers
        )
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.splitlines() == [",".join(CSV_COLUMNS)]  # no results: the header


async def test_bad_arguments_are_refused_in_process(ledger: Ledger, tmp_path: Path) -> None:
    for kwargs, field in (
        ({"format": "xml"}, "format"),
        ({"sort": "name"}, "sort"),
        ({"agent": "no such!"}, "agent"),
    ):
        with pytest.raises(ValidationFailed) as info:
            await ledger.export_results(tmp_path / "x", **kwargs)
        assert info.value.field == field
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_a_result_recorded_during_the_export_neither_repeats_nor_hides_rows(
    ledger: Ledger, order: str
) -> None:
    await _record(ledger, count=7)
    before = await _listed(ledger, order=order)
    seen: list[str] = []
    plan = ExportPlan("jsonl", {"order": order})
    async for _, chunk in export_chunks(ledger._read, plan, page_size=2):
        seen.extend(json.loads(line)["id"] for line in chunk.decode().splitlines())
        await ledger.update_custody_test_result("guardian", {"passed": True, "score": 1})
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(before) <= set(seen)  # nothing that existed was skipped
    assert [i for i in seen if i in before] == before  # in the listing's order


async def test_cli_exports_the_listed_results(ledger: Ledger, tmp_path: Path) -> None:
    await _record(ledger)
    url = ledger.settings.database_url
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"all.{fmt}"
        code, stdout, stderr = await run_cli(
            url, "results", "export", "--output", str(out), "--format", fmt,
            "--agent", "guardian", "--passed",
        )  # fmt: skip
        assert code == 0, stderr
        want = await _listed(ledger, agent="guardian", passed=True)
        assert _exported(out, fmt) == want
        assert f"exported {len(want)} results" in stdout
    code, _, stderr = await run_cli(url, "results", "export", "-o", str(out), "--format", "xml")
    assert code != 0 and "--format" in stderr
