"""Helpers shared by the agent-metrics scenarios."""

from __future__ import annotations

import random
import uuid
from typing import Any

from evalledger.sdk.ledger import Ledger

BACKENDS = ("postgresql", "sqlite")


async def open_ledger(url: str) -> Ledger:
    return await Ledger.open(url)


async def ensure_agents(ledger: Ledger, names: list[str]) -> None:
    for name in names:
        await ledger.create_or_update_agent_metrics(name)


def result(rng: random.Random, with_id: bool = True) -> dict[str, Any]:
    passed = rng.random() < 0.7
    out: dict[str, Any] = {
        "passed": passed,
        "score": round(rng.uniform(60, 100) if passed else rng.uniform(0, 60), 2),
        "duration": round(rng.uniform(0.1, 3.0), 3),
        "test_category": "reasoning",
        "test_type": "single",
    }
    if with_id:
        out["id"] = str(uuid.uuid4())  # never shared between scenarios (a re-sent id is a 409)
    return out
