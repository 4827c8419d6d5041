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

from evalledger.api.storable import plain_text, text_problem
from evalledger.errors import ValidationFailed, from_validation_error

_WRAPPED = "__evalledger_boundary__"


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_argument(name: str, value: object) -> None:
    """Refuse a plain argument no backend can store or compare exactly, naming it."""
    if isinstance(value, str) and not plain_text(value):
        raise ValidationFailed(f"{name}: {text_problem(value)}", field=name)
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        raise ValidationFailed(
            f"{name}: out of range (a {value.bit_length()}-bit integer; at most 64 bits)",
            field=name,
        )


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
