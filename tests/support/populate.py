"""Fill a database with at least one row of every table, through the public APIs.

Backup, restore and export tests use this so that they cover every kind of row; a test
asserts that no table is left empty, so a new domain must add its rows to the demo
generator (:mod:`evalledger.demo.generator`), which this calls.
"""

from __future__ import annotations

from sqlalchemy import func, select

from evalledger.db.registry import metadata
from evalledger.demo.generator import generate
from evalledger.sdk.ledger import Ledger


async def populate(ledger: Ledger) -> None:
    await generate(ledger, "small", seed=1)


async def empty_tables(ledger: Ledger) -> list[str]:
    empty = []
    async with ledger.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            if not count:
                empty.append(table.name)
    return empty
