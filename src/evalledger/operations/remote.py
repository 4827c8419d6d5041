"""An operation over HTTP: validate locally, send the request its declaration describes, and
read the answer back into the declared return type.

Validating before sending means a bad argument raises the same
:class:`~evalledger.errors.ValidationFailed` as in-process, without a round trip.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel

if TYPE_CHECKING:
    from evalledger.operations.spec import Operation
    from evalledger.sdk.http import HttpBase


def _text(value: Any) -> Any:
    """A query parameter's wire form: ISO 8601 dates, ``true``/``false``, enum values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    return value


def request_parts(
    op: Operation[Any, Any, Any], arguments: dict[str, Any]
) -> tuple[str, dict[str, Any], Any, dict[str, str]]:
    """``(path, query, json body, headers)`` for one call with validated ``arguments``."""
    signature = op.signature
    path = op.full_path.format(
        **{p.wire: quote(str(arguments[p.name]), safe="") for p in signature.located("path")}
    )
    query: dict[str, Any] = {}
    for p in signature.located("query"):
        value = arguments[p.name]
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            query[p.wire] = [_text(v) for v in value]
        else:
            query[p.wire] = _text(value)
    headers = {
        p.header: str(arguments[p.name])
        for p in signature.located("header")
        if p.header and arguments[p.name] is not None
    }
    body: Any = None
    if signature.body is not None:
        given = arguments[signature.body.name]
        body = {} if given is None else _dump(given)  # an optional body left out: no fields
    elif op.body_model is not None:
        fields = {p.name: arguments[p.name] for p in signature.located("body_field")}
        body = op.body_model.model_validate(fields).model_dump(mode="json", exclude_unset=True)
    return path, query, body, headers


def bind_remote(
    op: Operation[Any, Any, Any], client: HttpBase
) -> Callable[..., Coroutine[Any, Any, Any]]:
    signature = op.signature
    response = signature.response_adapter()
    envelope, field = op.envelope or (None, "")

    @functools.wraps(op.handler)
    async def call(*args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(args, kwargs)
        path, query, body, headers = request_parts(op, arguments)
        data = await client._request(
            op.method,
            path,
            json=body,
            params=query or None,
            headers=headers,
            retry_safe=op.retry_safe_for(arguments) or "Idempotency-Key" in headers,
        )
        if envelope is not None:
            data = getattr(envelope.model_validate(data), field)
        return response.validate_python(data)

    call.__signature__ = signature.public  # type: ignore[attr-defined]
    return call
