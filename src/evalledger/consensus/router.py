"""REST of the consensus group: the routes of its declared operations."""

from __future__ import annotations

from evalledger.consensus.operations import ConsensusOperations
from evalledger.operations.routes import router_for

router = router_for(ConsensusOperations)
