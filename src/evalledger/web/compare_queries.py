"""The compare page's two reads beside ``compare_runs``: one scorer's values of a run, and the
texts of the samples one page shows.

The values are four narrow columns per score (no texts), as the comparison reads them; the
texts (inputs, targets, outputs: most of a run's bytes) are read for the page's rows only, at
most one page size per run, by (sample id, epoch).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_

from evalledger.runs import compare_repository
from evalledger.runs.repository import samples, texts
from evalledger.stats.align import SampleKey

if TYPE_CHECKING:
    from evalledger.sdk.ledger import Ledger


@dataclass(frozen=True)
class SampleTexts:
    """What one run's sample said, for the side-by-side columns."""

    input: Any
    target: Any
    output: str | None
    error: str | None


async def scorer_values(ledger: Ledger, run_id: uuid.UUID, scorer: str) -> dict[SampleKey, float]:
    """(sample id, epoch) -> the value of ``scorer`` the comparison counts: the runs domain's
    own read, so the page and ``compare_runs`` share one rule (value, else the verdict)."""
    async with ledger._read() as uow:
        return await compare_repository.scorer_values(uow, run_id, scorer)


async def sample_texts(
    ledger: Ledger, run_id: uuid.UUID, keys: Sequence[SampleKey]
) -> dict[SampleKey, SampleTexts]:
    """The texts of the run's samples ``keys`` (a page's worth); a key the run lacks is absent."""
    if not keys:
        return {}
    s, t = samples.c, texts.c
    stmt = (
        select(s.sample_id, s.epoch, s.error, t.input, t.target, t.output)
        .select_from(samples.join(texts, t.sample_pk == s.id))
        .where(s.run_id == run_id, tuple_(s.sample_id, s.epoch).in_(list(keys)))
    )
    async with ledger._read() as uow:
        stmt = stmt.where(s.project_id == uow.project_id)
        rows = (await uow.session.execute(stmt)).mappings().all()
    return {
        (r["sample_id"], r["epoch"]): SampleTexts(r["input"], r["target"], r["output"], r["error"])
        for r in rows
    }
