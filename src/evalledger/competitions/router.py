"""REST of the competitions group under ``/api/v1``: the routes of its declared operations,
and the leaderboard hook's route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from evalledger.competitions.operations import CompetitionsOperations
from evalledger.competitions.schemas import MAX_BOOTSTRAP_ROUNDS, Leaderboard, RatingMethod
from evalledger.operations.deps import Reader
from evalledger.operations.routes import router_for

router = router_for(CompetitionsOperations)


# A hook: Ledger.leaderboard caches the fit beyond one unit of work (see facade.py).
@router.get(
    "/leaderboard",
    response_model=Leaderboard,
    summary="Agents ranked by Elo, Bradley-Terry or XP",
    description=(
        "`elo` and `bradley_terry` rate agents from the events' per-agent scores (each event "
        "yields pairwise outcomes; ties count half) with percentile-bootstrap 95% intervals "
        "over resampled events (seeded, so reproducible). `xp` ranks by XP. What is computed "
        "from the events is reused until an event is recorded: the first request after one "
        "pays for the fit (seconds for thousands of events), the next ones take milliseconds."
    ),
)
async def leaderboard(
    ledger: Reader,
    method: RatingMethod = "elo",
    rounds: Annotated[
        int | None, Query(ge=1, le=MAX_BOOTSTRAP_ROUNDS, description="bootstrap rounds")
    ] = None,
    seed: Annotated[int, Query(ge=0, le=2**32)] = 0,
    event_type: Annotated[
        str | None, Query(alias="type", max_length=50, description="event_type")
    ] = None,
) -> Leaderboard:
    return await ledger.leaderboard(method, rounds=rounds, seed=seed, event_type=event_type)
