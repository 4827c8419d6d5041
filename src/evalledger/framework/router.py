"""REST of the framework group: the routes of its declared operations."""

from __future__ import annotations

from evalledger.framework.operations import FrameworkOperations
from evalledger.operations.routes import router_for

router = router_for(FrameworkOperations)
