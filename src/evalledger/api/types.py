"""Shared bounded input types, so every route and request model refuses the same way.

Integers are bounded to what both databases store (64-bit signed), so a huge number in a path,
query or body is a 422 naming the field instead of an overflow deep in a driver. Every list
endpoint takes its page size through :data:`PageLimit` (capped at :data:`MAX_PAGE_SIZE`) and
its cursor through :data:`Cursor`; date-times through :data:`IsoDatetime`.
``tests/integration/test_api_contract.py`` checks the OpenAPI for unbounded inputs.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: The largest page any list endpoint returns (``EVALLEDGER_MAX_PAGE_SIZE`` can only lower
#: what a request may ask for, never raise it past this).
MAX_PAGE_SIZE = 1000
#: The longest list a request body may carry in one field (batch endpoints say less).
MAX_LIST_ITEMS = 10_000

#: Any integer a database column can hold.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

# The query-parameter aliases (``PageLimit``, ``Cursor``) live in :mod:`evalledger.api.query`:
# this module is shared with the SDK's schemas and must not import FastAPI.


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_text(value: Any) -> Any:
    # Pydantic would read 1700000000 (or "0.8") as seconds since 1970; a client sending a
    # number for a date-time made a mistake, so it is a 422 rather than a surprising instant.
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date-time such as 2026-01-31T12:00:00Z")
    return value


#: A date-time given as ISO 8601 text (never as a number of seconds).
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_text)]
#: The same, and it must carry a time zone.
AwareIsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def _numbers_only(annotation: Any) -> bool:
    """Whether ``annotation`` admits numbers (int/float) and nothing else (besides None)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _numbers_only(get_args(annotation)[0])
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numbers_only(a) for a in args)
    return annotation in (int, float)


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are an error (a typo is not silently ignored),
    and ``true``/``false`` is not a number (Pydantic would otherwise read it as 1/0)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numbers_only(field.annotation):
                raise ValueError("expected a number, not true/false")
        return value
