"""Parity of the Ledger and the Client, operation by operation.

Each domain module here lists :class:`Step`s: calls by public method name, with arguments
that may refer to what an earlier step returned (:class:`Ref`). ``test_parity.py`` replays a
domain's steps twice from the same empty database: once on the in-process
:class:`~evalledger.Ledger`, once through :class:`~evalledger.Client` against a live
``evalledger serve``; answers and exception classes must be equal, after ids and clock
readings are replaced by placeholders. Every declared operation must appear in some step.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """``Ref("run", "id")``: attribute ``id`` of what step ``run`` returned."""

    step: str
    path: str = ""

    def resolve(self, saved: dict[str, Any]) -> Any:
        value = saved[self.step]
        for part in filter(None, self.path.split(".")):
            value = value[int(part)] if part.isdigit() else getattr(value, part)
        return value


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    save: str | None = None
    #: the exception class both sides must raise; ``None`` = both must succeed
    raises: type[Exception] | None = None


def step(
    op: str,
    *args: Any,
    save: str | None = None,
    raises: type[Exception] | None = None,
    **kwargs: Any,
) -> Step:
    return Step(op, args, kwargs, save, raises)


def resolve(value: Any, saved: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return value.resolve(saved)
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(resolve(v, saved) for v in value)
    return value


#: An id no row has: reads of it are NotFoundError on both sides.
MISSING_ID = uuid.UUID("00000000-0000-4000-8000-00000000dead")

StepList = list[Step]
Setup = Callable[..., Any]
