"""Moved to :mod:`evalledger.operations.deps` (issue #16): the domains' routers import it, so
it must not sit in ``api`` (which imports every domain through the Ledger).

Kept only for ``agents/`` until it imports the new place; remove it then.
"""

from evalledger.operations.deps import (
    READ_CONSISTENCY_HEADER,
    Admin,
    IdempotencyKey,
    Reader,
    Writer,
    current_actor,
    strict_query,
)

__all__ = [
    "READ_CONSISTENCY_HEADER",
    "Admin",
    "IdempotencyKey",
    "Reader",
    "Writer",
    "current_actor",
    "strict_query",
]
