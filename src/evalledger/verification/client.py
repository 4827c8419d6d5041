"""Compatibility only: request helpers the clients of domains not yet converted to declared
operations (consensus, power) import; the verification operations are in
:mod:`evalledger.verification.operations`, sent by :mod:`evalledger.operations.remote`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter


def body(model: type[BaseModel], value: Any) -> Any:
    """A request body validated locally first (same errors as the in-process ledger)."""
    parsed = value if isinstance(value, model) else model.model_validate(value or {})
    return parsed.model_dump(mode="json", exclude_unset=True)


def seg(value: object) -> str:
    return quote(str(value), safe="")


def as_list(model: type[BaseModel], data: Any) -> Any:
    return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
