"""An operation, declared once: what the Ledger, the REST API and the Client are made from.

A domain lists its operations in one class (``<domain>/operations.py``)::

    class FrameworkOperations(OperationGroup, prefix="/api/v1/frameworks", tag="frameworks",
                              service="evalledger.framework.service:FrameworkService"):
        @get("/executions/{execution_id}", summary="One")
        async def get_execution(svc: FrameworkService, execution_id: AnyId) -> ExecutionOut:
            \"\"\"The execution with this id.\"\"\"
            return await svc.get_execution(as_uuid(execution_id))

The function is the operation's handler: it receives the domain service (built on a fresh unit
of work) and the caller's arguments, already validated. Its signature *is* the public method:
:class:`~evalledger.Ledger`, :class:`~evalledger.Client` and :class:`~evalledger.SyncClient`
inherit the group, and the :class:`Operation` descriptor answers attribute access on each with
the right callable (in-process, over HTTP, blocking). The FastAPI routes are generated from the
same declaration (:mod:`evalledger.operations.routes`), so a route cannot drift from its method.

This module is light (pydantic and the standard library): the remote client imports it. The
service named by ``service=`` is imported only when an operation first runs in-process.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Self,
    TypeVar,
    overload,
)

if TYPE_CHECKING:
    from evalledger.operations.signature import OperationSignature

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Scope = Literal["read", "write", "admin"]
Handler = Callable[Concatenate[S, P], Coroutine[Any, Any, R]]
#: Whether one call, given its validated arguments by name, may be repeated safely.
RetrySafe = Callable[[Mapping[str, Any]], bool]


class Binder:
    """What an object that owns operations implements: turn an operation into a callable.

    The :class:`~evalledger.Ledger` runs the handler in a unit of work; the
    :class:`~evalledger.Client` sends the request. Either way the callable returns a coroutine.
    """

    def _bind(self, op: Operation[Any, Any, Any]) -> Callable[..., Any]:
        raise NotImplementedError


class BlockingBinder:
    """Like :class:`Binder`, for :class:`~evalledger.SyncClient`: the callable blocks."""

    def _bind(self, op: Operation[Any, Any, Any]) -> Callable[..., Any]:
        raise NotImplementedError


class Operation(Generic[S, P, R]):
    """One public operation: its handler and how it is reached over HTTP.

    ``scope`` is the API key scope a REST caller needs; ``writes`` whether it runs in a
    writing unit of work (a read runs on a replica when one is configured). ``status`` is the
    HTTP status of success; ``status_of(answer)``, when given, picks it per answer (a create
    that returns what already exists answers 200, not 201). ``retry_safe`` lets the Client
    retry a POST after a lost connection (the operation is idempotent by its nature), or, as
    a function of the validated arguments, says when a call is (it carries a client-chosen id).
    ``envelope=(Model, "field")``: over HTTP the answer is ``Model`` with the result in
    ``field`` (the wire shape of an older API); Model's other fields are filled from the
    arguments of the same name or their defaults, and the Client unwraps ``field`` again.
    """

    group: type[OperationGroup]
    name: str

    def __init__(
        self,
        handler: Handler[S, P, R],
        *,
        method: Method,
        path: str,
        summary: str,
        scope: Scope,
        writes: bool,
        status: int = 200,
        status_of: Callable[[Any], int] | None = None,
        retry_safe: bool | RetrySafe = False,
        retry_races: bool = False,
        body: type[Any] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        envelope: tuple[type[Any], str] | None = None,
    ) -> None:
        self.handler = handler
        self.method = method
        self.path = path
        self.summary = summary
        self.scope = scope
        self.writes = writes
        self.status = status
        self.status_of = status_of
        self.retry_safe = True if method in ("GET", "PUT") else retry_safe
        self.retry_races = retry_races
        self.body_model = body
        self.responses = responses or {}
        self.envelope = envelope
        self.name = handler.__name__
        self.__doc__ = handler.__doc__
        self.__wrapped__ = handler

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def retry_safe_for(self, arguments: Mapping[str, Any]) -> bool:
        """Whether the Client may repeat this call (``arguments`` validated) after a lost
        connection: always for GET and PUT."""
        safe = self.retry_safe
        return bool(safe(arguments)) if callable(safe) else safe

    @property
    def full_path(self) -> str:
        return spec_of(self.group).prefix + self.path

    @property
    def description(self) -> str | None:
        return inspect.cleandoc(self.__doc__) if self.__doc__ else None

    @cached_property
    def signature(self) -> OperationSignature:
        """The public parameters, their HTTP location and validation (resolved on first use,
        when every annotation the declaration names can be evaluated)."""
        from evalledger.operations.signature import OperationSignature

        return OperationSignature.of(self)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: BlockingBinder, owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(self, obj: Binder, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, R]]: ...
    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        if not isinstance(obj, Binder | BlockingBinder):
            raise TypeError(f"{type(obj).__name__} cannot run operation {self.name!r}")
        return obj._bind(self)

    def __repr__(self) -> str:
        return f"<operation {self.name}: {self.method} {self.full_path}>"


@dataclass(frozen=True)
class GroupSpec:
    """Where a group's routes live (``prefix``, OpenAPI ``tag``) and which service its
    handlers receive (``"module:Class"``, imported on first in-process use)."""

    prefix: str
    tag: str
    service: str

    def service_class(self) -> type[Any]:
        module, _, name = self.service.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class OperationGroup:
    """Base of a domain's operation class; the class keywords are its :class:`GroupSpec`.

    What it knows about itself stays private (``_spec``), so the classes that inherit many
    groups (``Ledger``, ``Client``, ``SyncClient``) expose nothing but the operations.
    """

    _spec: ClassVar[GroupSpec | None] = None

    def __init_subclass__(
        cls,
        *,
        prefix: str | None = None,
        tag: str | None = None,
        service: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:  # a class that merely inherits groups (Ledger, Client)
            cls._spec = None
            return
        cls._spec = GroupSpec(prefix, tag or "", service or "")
        for attr in vars(cls).values():
            if isinstance(attr, Operation):
                attr.group = cls


def spec_of(group: type[OperationGroup]) -> GroupSpec:
    spec = group.__dict__.get("_spec")
    if spec is None:
        raise TypeError(f"{group.__name__} declares no operation group")
    return spec  # type: ignore[no-any-return]


def operations_of(group: type[OperationGroup]) -> list[Operation[Any, Any, Any]]:
    """``group``'s operations in declaration order."""
    return [attr for attr in vars(group).values() if isinstance(attr, Operation)]


def groups_of(cls: type) -> list[type[OperationGroup]]:
    """The operation groups ``cls`` (``Ledger``, ``Client``...) is made of."""
    return [
        c
        for c in cls.__mro__
        if isinstance(c, type) and issubclass(c, OperationGroup) and c.__dict__.get("_spec")
    ]


def _declare(
    method: Method,
    path: str,
    summary: str,
    *,
    scope: Scope | None,
    writes: bool | None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    writing = method != "GET" if writes is None else writes
    needed: Scope = scope or ("write" if writing else "read")

    def declare(handler: Handler[S, P, R]) -> Operation[S, P, R]:
        return Operation(
            handler,
            method=method,
            path=path,
            summary=summary,
            scope=needed,
            writes=writing,
            **options,
        )

    return declare


def get(
    path: str,
    *,
    summary: str,
    scope: Scope | None = None,
    writes: bool | None = None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    """Declare a read (``GET``; scope ``read`` unless said otherwise)."""
    return _declare("GET", path, summary, scope=scope, writes=writes, **options)


def post(
    path: str,
    *,
    summary: str,
    scope: Scope | None = None,
    writes: bool | None = None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    """Declare a write (``POST``; scope ``write`` unless said otherwise)."""
    return _declare("POST", path, summary, scope=scope, writes=writes, **options)


def put(
    path: str,
    *,
    summary: str,
    scope: Scope | None = None,
    writes: bool | None = None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    """Declare an idempotent write (``PUT``)."""
    return _declare("PUT", path, summary, scope=scope, writes=writes, **options)


def patch(
    path: str,
    *,
    summary: str,
    scope: Scope | None = None,
    writes: bool | None = None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    """Declare a partial update (``PATCH``)."""
    return _declare("PATCH", path, summary, scope=scope, writes=writes, **options)


def delete(
    path: str,
    *,
    summary: str,
    scope: Scope | None = None,
    writes: bool | None = None,
    **options: Any,
) -> Callable[[Handler[S, P, R]], Operation[S, P, R]]:
    """Declare a removal (``DELETE``)."""
    return _declare("DELETE", path, summary, scope=scope, writes=writes, **options)
