"""An operation run in-process: validate the arguments, open one unit of work, call the handler.

This is the whole of what a Ledger method does; the REST route calls the same thing through
the Ledger it receives, so in-process and remote callers share one code path to the service.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from evalledger.errors import ConflictError, from_validation_error
from evalledger.operations.spec import spec_of

if TYPE_CHECKING:
    from evalledger.operations.spec import Operation
    from evalledger.sdk.base import LedgerBase

#: Units of work an operation declared ``retry_races`` gets before its lost race is a 409.
RACE_ATTEMPTS = 5


def _service_for(op: Operation[Any, Any, Any], ledger: LedgerBase, uow: Any) -> Any:
    """The group's service on ``uow``: ``Service(uow)``, ``Service(uow, settings)`` when its
    constructor takes the settings, or its own ``for_operation(uow, ledger)`` when it needs
    more of the ledger (a cache that lives as long as the engine, say)."""
    factory = spec_of(op.group).service_class()
    if hasattr(factory, "for_operation"):
        return factory.for_operation(uow, ledger)
    if "settings" in inspect.signature(factory).parameters:
        return factory(uow, settings=ledger.settings)
    return factory(uow)


def bind_local(
    op: Operation[Any, Any, Any], ledger: LedgerBase
) -> Callable[..., Coroutine[Any, Any, Any]]:
    signature = op.signature

    @functools.wraps(op.handler)
    async def call(*args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(args, kwargs)
        for _ in range(RACE_ATTEMPTS if op.retry_races else 1):
            unit = ledger._write() if op.writes else ledger._read()
            try:
                async with unit as uow:
                    return await op.handler(_service_for(op, ledger, uow), **arguments)
            except ValidationError as exc:  # a model the service builds: caller's input
                raise from_validation_error(exc) from exc
            except ConflictError as exc:
                # The unit of work turned a unique violation into a 409; an operation that
                # declared retry_races runs again (it sees the winner's row the next time).
                if not (op.retry_races and isinstance(exc.__cause__, IntegrityError)):
                    raise
        raise ConflictError(f"{op.name} kept colliding with concurrent writes; retry")

    call.__signature__ = signature.public  # type: ignore[attr-defined]
    return call
