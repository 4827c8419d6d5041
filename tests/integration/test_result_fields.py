"""Tags, metadata, agent_version, metrics and token usage: stored with the result, both paths."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import pytest

from evalledger.ops import backup, restore
from evalledger.sdk.ledger import Ledger
from tests.conftest import BACKENDS, adrop_pg_database
from tests.integration.test_backup_restore import fresh_database

FIELDS: dict[str, Any] = {
    "tags": ["nightly", "gpt-4o"],
    "metadata": {"dataset": "custody-v2", "run": 7, "nested": {"ok": True}},
    "agent_version": "v2.1",
    "metrics": {"latency_ms": 812.0, "cost_usd": 0.004},
    "input_tokens": 1200,
    "output_tokens": 350,
}


def _fields(result: Any) -> dict[str, Any]:
    return {name: getattr(result, name) for name in FIELDS}


async def test_single_result_stores_the_fields(seeded: Ledger) -> None:
    rid = uuid.uuid4()
    await seeded.update_custody_test_result(
        "guardian", {"id": str(rid), "passed": True, "score": 91, **FIELDS}
    )
    (stored,) = (await seeded.list_results(agent="guardian")).items
    assert stored.id == rid and _fields(stored) == FIELDS
    # Re-sending the same result is a duplicate, not a conflict; another version is a 409.
    again = await seeded.update_custody_test_result(
        "guardian", {"id": str(rid), "passed": True, "score": 91, **FIELDS}
    )
    assert again.duplicate
    with pytest.raises(Exception, match="agent_version"):
        await seeded.update_custody_test_result(
            "guardian",
            {"id": str(rid), "passed": True, "score": 91, **FIELDS, "agent_version": "v3"},
        )


async def test_defaults_when_omitted(seeded: Ledger) -> None:
    await seeded.update_custody_test_result("guardian", {"passed": False, "score": 10})
    (stored,) = (await seeded.list_results()).items
    assert _fields(stored) == {
        "tags": [],
        "metadata": {},
        "agent_version": None,
        "metrics": {},
        "input_tokens": None,
        "output_tokens": None,
    }


@pytest.mark.parametrize("size", [5, 250])  # below and above the PostgreSQL COPY threshold
async def test_batch_stores_the_fields(seeded: Ledger, size: int) -> None:
    items = [
        {"agent_type": "imperium", "passed": i % 2 == 0, "score": i % 100, **FIELDS}
        for i in range(size)
    ]
    items[0] = {**items[0], "tags": ["first"], "metadata": {"i": 0}, "agent_version": None}
    out = await seeded.record_custody_tests(items)
    assert out.recorded == size
    page = await seeded.list_results(agent="imperium", limit=1000, order="asc")
    assert len(page.items) == size
    assert sum(_fields(r) == FIELDS for r in page.items) == size - 1
    (first,) = (await seeded.list_results(tag="first")).items
    assert first.metadata == {"i": 0} and first.agent_version is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tags", ["x" * 65]),
        ("tags", [f"t{i}" for i in range(33)]),
        ("tags", [""]),
        ("metadata", {"k": "nul\x00here"}),
        ("metadata", {"k": "lone \ud800"}),
        ("metadata", {"k": float("nan")}),
        ("metadata", {"k": "x" * 20_000}),
        ("metrics", {"latency_ms": float("inf")}),
        ("metrics", {"bad name": 1.0}),
        ("metrics", {"flag": "yes"}),
        ("metrics", {"flag": True}),
        ("agent_version", "v" * 101),
        ("input_tokens", -1),
        ("output_tokens", True),
    ],
)
async def test_bad_fields_are_refused_and_nothing_written(
    seeded: Ledger, field: str, value: Any
) -> None:
    with pytest.raises(Exception) as caught:
        await seeded.update_custody_test_result(
            "guardian", {"passed": True, "score": 50, field: value}
        )
    assert field in str(caught.value)
    with pytest.raises(Exception) as caught:
        await seeded.record_custody_tests(
            [{"agent_type": "guardian", "passed": True, "score": 50, field: value}]
        )
    assert field in str(caught.value)
    assert (await seeded.list_results()).items == []


async def test_bad_fields_over_rest_are_422_naming_the_field(api: Any) -> None:
    response = await api.post(
        "/api/agent-metrics/guardian/custody-test",
        json={"passed": True, "score": 50, "metrics": {"latency_ms": "fast"}},
    )
    assert response.status_code == 422
    assert "metrics" in response.text


@pytest.mark.parametrize(
    ("backend", "target"), list(itertools.product(BACKENDS, BACKENDS)), indirect=["backend"]
)
async def test_backup_restore_keeps_the_fields(seeded: Ledger, tmp_path: Path, target: str) -> None:
    """Also across backends: a SQLite backup restored into PostgreSQL and back."""
    await seeded.update_custody_test_result("guardian", {"passed": True, "score": 77, **FIELDS})
    path = await backup.create(seeded.db, tmp_path / "backups")
    db, pg_name = await fresh_database(target, tmp_path)
    try:
        assert (await restore.restore(db, path)).verified
        restored = Ledger(db, seeded.settings)
        (stored,) = (await restored.list_results(agent="guardian")).items
        assert _fields(stored) == FIELDS
    finally:
        await db.dispose()
        if pg_name:
            await adrop_pg_database(pg_name)
