"""Operations declared once, served in-process, over REST and by the remote client.

See :mod:`evalledger.operations.spec` for how a domain declares one and
``docs/architecture.md`` for where a new operation goes.
"""

from evalledger.operations.spec import (
    Binder,
    BlockingBinder,
    Operation,
    OperationGroup,
    delete,
    get,
    patch,
    post,
    put,
)
from evalledger.operations.types import (
    AnyId,
    Cursor,
    FromHeader,
    IdempotencyKey,
    In,
    PageLimit,
    PageSize,
    WireName,
    as_model,
    as_uuid,
)

__all__ = [
    "AnyId",
    "Binder",
    "BlockingBinder",
    "Cursor",
    "FromHeader",
    "IdempotencyKey",
    "In",
    "Operation",
    "OperationGroup",
    "PageLimit",
    "PageSize",
    "WireName",
    "as_model",
    "as_uuid",
    "delete",
    "get",
    "patch",
    "post",
    "put",
]
