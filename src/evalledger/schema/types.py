"""Shared bounded input types, so every route and request model refuses the same way.

Integers are bounded to what both databases store (64-bit signed), so a huge number in a path,
query or body is a 422 naming the field instead of an overflow deep in a driver. Every list
endpoint takes its page size through ``PageLimit`` (capped at :data:`MAX_PAGE_SIZE`) and its
cursor through ``Cursor`` (both in :mod:`evalledger.operations.types`); date-times through
:data:`IsoDatetime`. No FastAPI and no SQLAlchemy here: the remote client's schemas import it.
``tests/integration/test_api_contract.py`` checks the OpenAPI for unbounded inputs.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Self, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    NaiveDatetime,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError

from evalledger.schema.storable import (
    NUMBER_BOUND,
    Location,
    Unstorable,
    plain_text,
    printable_loc,
    storable,
)

#: Floats with a magnitude strictly between these need no normalising (not zero, no exponent).
_PLAIN_FLOAT, _EXPONENT_FROM = 0.0, 1e16
#: Pydantic's constrained date-time types (not subclasses of ``datetime`` themselves).
_DATE_TYPES = (date, AwareDatetime, NaiveDatetime)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: The largest page any list endpoint returns (``EVALLEDGER_MAX_PAGE_SIZE`` can only lower
#: what a request may ask for, never raise it past this).
MAX_PAGE_SIZE = 1000
#: The longest list a request body may carry in one field (batch endpoints say less).
MAX_LIST_ITEMS = 10_000

#: Any integer a database column can hold.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
_ISO_ONLY = "expected an ISO 8601 date-time such as 2026-01-31T12:00:00Z"


def _is_number(value: Any) -> bool:
    """A number, or text that is one: what Pydantic would read as seconds since 1970."""
    return isinstance(value, (int, float)) or (
        isinstance(value, str) and _NUMBER.fullmatch(value) is not None
    )


def _iso_text(value: Any) -> Any:
    # Pydantic would read 1700000000 (or "0.8") as seconds since 1970; a client sending a
    # number for a date-time made a mistake, so it is a 422 rather than a surprising instant.
    if _is_number(value):
        raise ValueError(_ISO_ONLY)
    return value


#: A date-time given as ISO 8601 text (never as a number of seconds).
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_text)]
#: The same, and it must carry a time zone.
AwareIsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def _members(annotation: Any) -> list[Any]:
    """The types ``annotation`` admits besides None, with ``Annotated`` unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for a in get_args(annotation) if a is not type(None) for m in _members(a)]
    return [annotation]


def _numbers_only(annotation: Any) -> bool:
    """Whether ``annotation`` admits numbers (int/float) and nothing else (besides None)."""
    members = _members(annotation)
    return bool(members) and all(m in (int, float) for m in members)


def _booleans_only(annotation: Any) -> bool:
    members = _members(annotation)
    return bool(members) and all(m is bool for m in members)


def _dates_only(annotation: Any) -> bool:
    members = _members(annotation)
    return bool(members) and all(
        isinstance(m, type) and issubclass(m, _DATE_TYPES) for m in members
    )


def _always_storable(annotation: Any) -> bool:
    """Whether every value of ``annotation`` is storable as validated: booleans, bounded
    integers (``Int64`` and tighter: see the API contract test), UUIDs, dates, fixed
    ``Literal`` choices and nested request models (which check themselves)."""

    def safe(member: Any) -> bool:
        if member in (bool, int, uuid.UUID) or get_origin(member) is Literal:
            return True
        if isinstance(member, type) and issubclass(member, (*_DATE_TYPES, RequestModel)):
            return True
        if get_origin(member) in (list, tuple):
            return all(safe(m) for a in get_args(member) for m in _members(a) if a is not ...)
        return False

    members = _members(annotation)
    return bool(members) and all(safe(m) for m in members)


def _plain_float(value: float, in_json: bool) -> bool:
    """A float stored as it is: finite, not zero, below the exponent spelling, and not a
    bare whole number of a JSON field (see :mod:`evalledger.schema.storable`)."""
    return _PLAIN_FLOAT < abs(value) < _EXPONENT_FROM and not (in_json and value.is_integer())


def _holds_json(annotation: Any) -> bool:
    """Whether the field is stored in a JSON column: free-form (``Any``) or a container."""
    return any(m is Any or get_origin(m) in (dict, list, tuple) for m in _members(annotation))


def _refuse(model: type[BaseModel], errors: list[tuple[Location, str]]) -> ValidationError:
    """A validation error at these locations that echoes no input (it may not be encodable)."""
    return ValidationError.from_exception_data(
        model.__name__,
        [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "{reason}", {"reason": message}),
                loc=loc,
                input=None,
            )
            for loc, message in errors
        ],
    )


class RequestModel(BaseModel):
    """Base of request bodies and of everything the in-process ledger validates.

    - unknown fields are an error (a typo is not silently ignored);
    - numbers are not ``true``/``false``, booleans are only ``true``/``false`` (Pydantic would
      otherwise read ``0``, ``"yes"`` or ``"off"`` as a boolean and ``true`` as 1), and
      date-times are never numbers (see :data:`IsoDatetime`);
    - every string, number and JSON value must be storable exactly on both backends
      (:mod:`evalledger.schema.storable`): NUL, lone surrogates, NaN/Infinity, numbers beyond
      ±1e150 and over-deep JSON are a 422 naming the field (the full path inside it).
    """

    model_config = ConfigDict(extra="forbid")

    # Which fields each check concerns, worked out once per class (validation is hot: a
    # custody batch validates 10,000 models).
    _number_fields: ClassVar[tuple[str, ...]] = ()
    _boolean_fields: ClassVar[tuple[str, ...]] = ()
    _date_fields: ClassVar[tuple[str, ...]] = ()
    #: (field, its declared default, whether it is stored as JSON) of the fields to check.
    _checks: ClassVar[tuple[tuple[str, Any, bool], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        cls._number_fields = tuple(n for n, f in fields.items() if _numbers_only(f.annotation))
        cls._boolean_fields = tuple(n for n, f in fields.items() if _booleans_only(f.annotation))
        cls._date_fields = tuple(n for n, f in fields.items() if _dates_only(f.annotation))
        # Declared defaults are the model's own (storable) values: nothing to check.
        cls._checks = tuple(
            (name, field.default, _holds_json(field.annotation))
            for name, field in fields.items()
            if not _always_storable(field.annotation)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The OpenAPI says what the storable rule enforces: every number field is within
        # ±NUMBER_BOUND unless the field declares tighter bounds itself.
        schema = handler(core_schema)
        for prop in handler.resolve_ref_schema(schema).get("properties", {}).values():
            for option in (prop, *prop.get("anyOf", [])):
                if option.get("type") == "number":
                    option.setdefault("maximum", NUMBER_BOUND)
                    option.setdefault("minimum", -NUMBER_BOUND)
        return schema

    @model_validator(mode="before")
    @classmethod
    def _strict_scalars(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors: list[tuple[Location, str]] = []
        for name in cls._number_fields:
            value = data.get(name)
            if value is True or value is False:
                errors.append(((name,), "expected a number, not true/false"))
        for name in cls._boolean_fields:
            value = data.get(name)
            if value is not None and value is not True and value is not False:
                errors.append(((name,), "expected true or false"))
        for name in cls._date_fields:
            value = data.get(name)
            if value is not None and _is_number(value):
                errors.append(((name,), _ISO_ONLY))
        if errors:
            raise _refuse(cls, errors)
        return data

    @model_validator(mode="after")
    def _storable_values(self) -> Self:
        values = self.__dict__
        errors: list[tuple[Location, str]] = []
        for name, default, in_json in self._checks:
            value = values[name]
            if value is None or value is default:
                continue
            kind = type(value)
            # The common cases, without a call into the full check.
            if kind is str:
                if plain_text(value):
                    continue
            elif kind is float and _plain_float(value, in_json):
                continue
            elif (kind is list or kind is dict) and not value:
                # An empty list or object (each instance's own default_factory value, so not
                # ``default``): nothing to check, no JSON encoding of "[]" per result.
                continue
            try:
                stored = storable(value, in_json=in_json)
            except Unstorable as exc:
                errors.append(((name, *printable_loc(exc.loc)), exc.message))
                continue
            if stored is not value:
                values[name] = stored
        if errors:
            raise _refuse(type(self), errors)
        return self
