"""Fill a database with at least one row of every table, through the public APIs.

Backup, restore and export tests use this so that they cover every kind of row; a test
asserts that no table is left empty, so a new domain must add its rows here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from evalledger.db.registry import metadata
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


async def populate(ledger: Ledger) -> None:
    await ledger.seed_default_agents()
    await make_key(ledger, "write", project="second")
    for i in range(30):
        await ledger.update_custody_test_result(
            "guardian" if i % 2 else "imperium",
            {
                "id": uuid.uuid4(),
                "passed": i % 3 != 0,
                "score": 40 + i,
                "duration": 1.5 * i,
                "evaluation": {"notes": f"run {i}", "ratio": i / 7},
                "ai_responses": [{"agent": "x", "text": 'é ✓ "quoted"'}],
            },
        )
    await ledger.update_learning_metrics(
        "guardian", {"learning_score_delta": 0.1, "patterns": [{"k": 1}]}, idempotency_key="k1"
    )


async def empty_tables(ledger: Ledger) -> list[str]:
    empty = []
    async with ledger.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            if not count:
                empty.append(table.name)
    return empty
