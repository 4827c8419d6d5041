"""The competitions hook over HTTP: the leaderboard (its in-process side is a hook, see
``facade.py``; the other competitions operations are declared in ``operations.py``)."""

from __future__ import annotations

from typing import Any

from evalledger.competitions.schemas import Leaderboard, RatingMethod
from evalledger.operations.http import HttpBase


class CompetitionsClient(HttpBase):
    # A hook because the Ledger's leaderboard is one (a cached fit outside a unit of work).
    async def leaderboard(
        self,
        method: RatingMethod = "elo",
        *,
        rounds: int | None = None,
        seed: int = 0,
        event_type: str | None = None,
    ) -> Leaderboard:
        """Agents ranked by Elo, Bradley-Terry (with bootstrap 95% intervals) or XP."""
        values = {"method": method, "rounds": rounds, "seed": seed, "type": event_type}
        params: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        return Leaderboard.model_validate(
            await self._request("GET", "/api/v1/leaderboard", params=params)
        )
