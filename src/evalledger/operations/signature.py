"""What an operation's handler signature means: each public parameter's place and validation.

The handler's first parameter is the domain service; every other one is public. Where it
travels over HTTP follows from its declaration, decided here once for every transport:

* named in the path (``{execution_id}``) -- a path segment;
* a pydantic model (``In[ClaimIn]``), or a field of the operation's ``body=`` model -- the body;
* marked :class:`~evalledger.operations.types.FromHeader` -- a header;
* anything else -- a query parameter (lists repeat: ``?tag=a&tag=b``; ``X | Sequence[X]``,
  one or many, is validated as ``list[X]``).

A body parameter is required over HTTP even when the method's default is ``None`` (the
Client then sends ``{}``), so its model must accept an empty object.

A path or query parameter is named on the wire as in Python unless marked
:class:`~evalledger.operations.types.WireName`.

Arguments are validated with pydantic on whichever side receives them first, so the in-process
Ledger and the Client refuse bad input with the same :class:`~evalledger.errors.ValidationFailed`
naming the same field.
"""

from __future__ import annotations

import inspect
import re
import types
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError

from evalledger.api.storable import plain_text, text_problem
from evalledger.errors import ValidationFailed, from_validation_error
from evalledger.operations.types import FromHeader, WireName

if TYPE_CHECKING:
    from evalledger.operations.spec import Operation

Location = Literal["path", "query", "body", "body_field", "header"]

_PATH_NAMES = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_argument(name: str, value: object) -> None:
    """Refuse a plain argument (not a request model) that no backend can store or compare
    exactly, naming it: text with NUL or a lone surrogate (SQLite would store the NUL that
    PostgreSQL refuses), an integer beyond 64 bits (neither driver binds it)."""
    if isinstance(value, str) and not plain_text(value):
        raise ValidationFailed(f"{name}: {text_problem(value)}", field=name)
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        raise ValidationFailed(
            f"{name}: out of range (a {value.bit_length()}-bit integer; at most 64 bits)",
            field=name,
        )
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_argument(name, item)


def _strip_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return base, tuple(meta)
    return annotation, ()


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a body parameter is (``Model`` or ``Model | Mapping[...]``)."""
    for member in _union_members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def _one_or_many(members: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]] | None:
    """``(Y, constraints)`` of ``X | Sequence[Y]`` (the sequence perhaps ``Annotated`` with
    its constraints) where ``Y`` is ``X`` (perhaps ``Annotated``); else None."""
    sequences = [m for m in members if get_origin(_strip_annotated(m)[0]) is Sequence]
    if len(sequences) != 1:
        return None
    sequence, constraints = _strip_annotated(sequences[0])
    (item,) = get_args(sequence)
    lone = {m for m in members if m is not sequences[0] and m is not type(None)}
    return (item, constraints) if lone == {_strip_annotated(item)[0]} else None


def _validated_type(annotation: Any) -> Any:
    """The type arguments are validated as: ``Model | Mapping`` is the model, ``UUID | str``
    a UUID, ``X | Sequence[X]`` (one or many) a ``list[X]`` (a lone ``X`` is a list of one,
    and over HTTP the parameter repeats); anything else as declared."""
    base, meta = _strip_annotated(annotation)
    members = _union_members(base)
    model = _model_in(base)
    many = _one_or_many(members)
    if model is not None:
        narrowed: Any = model
    elif uuid.UUID in members and str in members:
        rest = [m for m in members if m not in (uuid.UUID, str)]
        narrowed = Union[(uuid.UUID, *rest)] if rest else uuid.UUID
    elif many is not None:
        item, constraints = many
        lone = _strip_annotated(item)[0]
        listed: Any = Annotated[(list[item], *constraints)] if constraints else list[item]  # type: ignore[valid-type]
        narrowed = listed | None if type(None) in members else listed
        wrap = BeforeValidator(lambda v: [v] if isinstance(v, lone) else v)
        return Annotated[(narrowed, wrap, *meta)]
    else:
        return annotation
    return Annotated[(narrowed, *meta)] if meta else narrowed


def is_list(annotation: Any) -> bool:
    base, _ = _strip_annotated(annotation)
    return any(get_origin(m) in (list, set, tuple, frozenset) for m in _union_members(base))


@dataclass(frozen=True)
class Parameter:
    """One public parameter of an operation."""

    name: str
    annotation: Any  # as declared (what a caller's type checker sees)
    validated: Any  # what arguments are validated as
    default: Any  # inspect.Parameter.empty when required
    location: Location
    header: str | None = None
    keyword_only: bool = False
    #: its name in the path or the query string: ``name`` unless marked WireName
    wire: str = ""

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def model(self) -> type[BaseModel] | None:
        return _model_in(_strip_annotated(self.annotation)[0]) if self.location == "body" else None


@dataclass(frozen=True)
class OperationSignature:
    public: inspect.Signature
    parameters: tuple[Parameter, ...]
    returns: Any
    adapters: Mapping[str, TypeAdapter[Any]]
    body_model: type[BaseModel] | None

    @classmethod
    def of(cls, op: Operation[Any, Any, Any]) -> OperationSignature:
        handler = op.handler
        namespace = dict(vars(inspect.getmodule(handler) or object()))
        raw = list(inspect.signature(handler).parameters.values())[1:]  # [0] is the service

        def resolve(annotation: Any) -> Any:
            return eval(annotation, namespace) if isinstance(annotation, str) else annotation

        in_path = set(_PATH_NAMES.findall(op.full_path))
        body_fields = set(op.body_model.model_fields) if op.body_model is not None else set()
        params: list[Parameter] = []
        public: list[inspect.Parameter] = []
        for p in raw:
            annotation = resolve(p.annotation)
            public.append(p.replace(annotation=annotation))
            _, meta = _strip_annotated(annotation)
            header = next((m.alias for m in meta if isinstance(m, FromHeader)), None)
            wire = next((m.name for m in meta if isinstance(m, WireName)), p.name)
            location: Location
            if wire in in_path:
                location = "path"
            elif header is not None:
                location = "header"
            elif p.name in body_fields:
                location = "body_field"
            elif _model_in(_strip_annotated(annotation)[0]) is not None:
                location = "body"
            else:
                location = "query"
            params.append(
                Parameter(
                    name=p.name,
                    annotation=annotation,
                    validated=_validated_type(annotation),
                    default=p.default,
                    location=location,
                    header=header,
                    keyword_only=p.kind is inspect.Parameter.KEYWORD_ONLY,
                    wire=wire,
                )
            )
        missing = in_path - {p.wire for p in params}
        if missing:
            raise TypeError(f"{op.name}: path names {sorted(missing)} but has no such parameter")
        returns = resolve(inspect.signature(handler).return_annotation)
        return cls(
            public=inspect.Signature(public, return_annotation=returns),
            parameters=tuple(params),
            returns=returns,
            adapters={p.name: TypeAdapter(p.validated) for p in params},
            body_model=op.body_model,
        )

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The caller's arguments by name, defaults applied, each validated.

        A wrong number of arguments is a ``TypeError`` as for any Python call; a bad value
        is :class:`~evalledger.errors.ValidationFailed` naming the parameter (and the path
        inside it for a body).
        """
        bound = self.public.bind(*args, **kwargs)
        bound.apply_defaults()
        out: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            param = self._by_name[name]
            if param.location != "body":
                check_argument(name, value)
            if value is None and not param.required and param.default is None:
                out[name] = None
                continue
            try:
                out[name] = self.adapters[name].validate_python(value)
            except ValidationError as exc:
                prefix = None if param.location == "body" else name
                raise from_validation_error(exc, prefix=prefix) from None
        if self.body_model is not None:  # fields of one body: validate them together
            fields = {p.name: out[p.name] for p in self.located("body_field")}
            try:
                whole = self.body_model.model_validate(fields)
            except ValidationError as exc:
                raise from_validation_error(exc) from None
            out.update({name: getattr(whole, name) for name in fields})
        return out

    @cached_property
    def _by_name(self) -> dict[str, Parameter]:
        return {p.name: p for p in self.parameters}

    @property
    def body(self) -> Parameter | None:
        return next((p for p in self.parameters if p.location == "body"), None)

    def located(self, location: Location) -> list[Parameter]:
        return [p for p in self.parameters if p.location == location]

    def response_adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.returns)
