"""The results query: a :class:`ResultFilter` as SQL, and one keyset page of results.

Pages are keyset-paginated with the repository's cursors (:func:`encode_cursor`): by time the
key is ``(created_at, id)``, by score ``(score, created_at, id)``, so a page costs the same
deep in the table, and a walk through the pages while results are being recorded neither
repeats nor skips any result that existed when it started (new results sort before the walk's
position when newest first, and are then simply not seen, or are seen once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from evalledger.agents.repository import results
from evalledger.agents.results_schemas import ResultFilter, ResultSort, SortOrder
from evalledger.agents.schemas import CustodyTestOut
from evalledger.db.dialect import json_array_contains_all, json_text_field
from evalledger.db.repository import decode_keyed_cursor, encode_cursor, past_key
from evalledger.pagination import Page
from evalledger.uow import UnitOfWork


def conditions(dialect_name: str, project_id: Any, where: ResultFilter) -> list[Any]:
    """The WHERE conditions of ``where`` in the project (shared by the list and the summary)."""
    c = results.c
    out: list[Any] = [c.project_id == project_id]
    equal = {
        c.ai_type: where.agent,
        c.test_type: where.test_type,
        c.test_category: where.category,
        c.test_difficulty: where.difficulty,
        c.passed: where.passed,
        c.agent_version: where.agent_version,
    }
    out.extend(column == value for column, value in equal.items() if value is not None)
    if where.min_score is not None:
        out.append(c.score >= where.min_score)
    if where.max_score is not None:
        out.append(c.score <= where.max_score)
    if where.since is not None:
        out.append(c.created_at >= where.since)
    if where.until is not None:
        out.append(c.created_at < where.until)
    if where.tag:
        out.append(json_array_contains_all(dialect_name, c.tags, where.tag))
    for key, value in where.metadata_pairs():
        out.append(json_text_field(dialect_name, c.metadata, key) == value)
    return out


def _ordered(stmt: Select[Any], sort: ResultSort, order: SortOrder) -> Select[Any]:
    c = results.c
    keys = [c.score, c.created_at, c.id] if sort == "score" else [c.created_at, c.id]
    return stmt.order_by(*(k.desc() if order == "desc" else k.asc() for k in keys))


async def list_results(
    uow: UnitOfWork,
    where: ResultFilter,
    *,
    sort: ResultSort = "time",
    order: SortOrder = "desc",
    limit: int = 50,
    cursor: str | None = None,
) -> Page[CustodyTestOut]:
    """One page of the project's results matching ``where``; pass ``next_cursor`` back."""
    c = results.c
    stmt = select(results).where(*conditions(uow.dialect, uow.project_id, where))
    if cursor is not None:
        lead, at, after_id = decode_keyed_cursor(cursor, 1 if sort == "score" else 0)
        lead_pairs = [(c.score, lead[0])] if sort == "score" else []
        stmt = stmt.where(
            past_key(c.created_at, c.id, at, after_id, descending=order == "desc", lead=lead_pairs)
        )
    stmt = _ordered(stmt, sort, order).limit(limit + 1)
    rows = list((await uow.session.execute(stmt)).mappings())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        lead_values = (last["score"],) if sort == "score" else ()
        next_cursor = encode_cursor(last["created_at"], last["id"], *lead_values)
    return Page[CustodyTestOut](items=[result_out(r) for r in rows], next_cursor=next_cursor)


def result_out(row: Any) -> CustodyTestOut:
    """A stored result row as the API shows it (``tested_at`` is its ``timestamp``)."""
    return CustodyTestOut.model_validate({**dict(row), "timestamp": row["tested_at"]})
