"""REST of the evolution group: the routes of its declared operations."""

from __future__ import annotations

from evalledger.evolution.operations import EvolutionOperations
from evalledger.operations.routes import router_for

router = router_for(EvolutionOperations)
