"""REST of the power group: the routes of its declared operations."""

from __future__ import annotations

from evalledger.operations.routes import router_for
from evalledger.power.operations import PowerOperations

router = router_for(PowerOperations)
