"""Import every model module so ``Base.metadata`` knows every table (Alembic, tests, backup).

Any ``evalledger.<domain>.models`` module is found automatically, so a new domain never
edits a shared list to register its tables.
"""

from __future__ import annotations

from evalledger.db import idempotency as _idempotency  # noqa: F401
from evalledger.db.base import Base
from evalledger.domains import domain_modules

for _module in domain_modules("models"):
    pass
metadata = Base.metadata
