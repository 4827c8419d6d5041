"""REST of the runs domain: the routes of its declared operations."""

from __future__ import annotations

from evalledger.operations.routes import router_for
from evalledger.runs.operations import RunsOperations

router = router_for(RunsOperations)
