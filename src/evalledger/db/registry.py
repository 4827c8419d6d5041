"""Import every model module so ``Base.metadata`` knows every table (Alembic, tests, backup).

Any ``evalledger.<domain>.models`` module is found automatically, so a new domain never
edits a shared list to register its tables.
"""

from __future__ import annotations

import importlib
import pkgutil

import evalledger
from evalledger.db import idempotency as _idempotency  # noqa: F401
from evalledger.db.base import Base


def _import_domain_models() -> None:
    for module in pkgutil.iter_modules(evalledger.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"evalledger.{module.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"evalledger.{module.name}.models":
                    raise


_import_domain_models()
metadata = Base.metadata
