"""The SDK's error boundary: what escapes ``Ledger`` and ``Client`` is an ``EvalLedgerError``.

Facades and clients validate their arguments with pydantic; a raw
``pydantic_core.ValidationError`` would slip past ``except EvalLedgerError``. Every public
coroutine method of a facade or client class is wrapped once, when the class is defined, so
that such an error becomes :class:`~evalledger.errors.ValidationFailed` naming the field, the
same class the REST API's 422 becomes in the :class:`~evalledger.Client`.

Arguments that are not request models (an agent's name, a framework, a filter, a limit) are
checked here too, before any statement runs: a string holding NUL or a lone surrogate, or an
integer beyond 64 bits, is refused naming the argument. SQLite would store the NUL that
PostgreSQL refuses, and neither driver can bind the others; the same check on both backends
and on both sides of the wire keeps the answer one :class:`ValidationFailed`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from evalledger.errors import from_validation_error
from evalledger.operations.signature import check_argument

_WRAPPED = "__evalledger_boundary__"


def _guard(fn: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    names = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][1:]  # without self

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        for name, value in zip(names, args[1:], strict=False):
            check_argument(name, value)
        for name, value in kwargs.items():
            check_argument(name, value)
        try:
            return await fn(*args, **kwargs)
        except ValidationError as exc:
            raise from_validation_error(exc) from exc

    setattr(call, _WRAPPED, True)
    return call


def guard_public_methods(cls: type) -> None:
    """Wrap the public coroutine methods ``cls`` itself defines (not inherited ones)."""
    for name, attr in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(attr):
            continue
        if not getattr(attr, _WRAPPED, False):
            setattr(cls, name, _guard(attr))
