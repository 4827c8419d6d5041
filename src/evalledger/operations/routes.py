"""The FastAPI routes of declared operations: one route per operation, built from its
declaration, calling the same Ledger method an in-process caller calls.

Server side only (imports FastAPI). Path, query, header and body parameters keep the
declaration's constraints, so the OpenAPI document states exactly what the Ledger accepts.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from pydantic.fields import FieldInfo

from evalledger.operations.deps import Admin, Reader, Writer
from evalledger.operations.signature import Parameter, _strip_annotated
from evalledger.operations.spec import Operation, OperationGroup, operations_of, spec_of
from evalledger.operations.types import FromHeader, WireName

_LEDGER = {"read": Reader, "write": Writer, "admin": Admin}
_MARKERS = {"path": Path, "query": Query, "header": Header, "body": Body}


def fastapi_annotation(param: Parameter) -> Any:
    """``param``'s validated type with its constraints and FastAPI's marker for its place."""
    base, meta = _strip_annotated(param.validated)
    constraints: list[Any] = []
    options: dict[str, Any] = {}
    for item in meta:
        if isinstance(item, FieldInfo):
            constraints.extend(item.metadata)
            if item.description:
                options["description"] = item.description
        elif not isinstance(item, FromHeader | WireName):
            constraints.append(item)
    if param.header:
        options["alias"] = param.header
    marker = _MARKERS[param.location](**options)
    return Annotated[(base, *constraints, marker)]


def _endpoint(op: Operation[Any, Any, Any]) -> Any:
    signature = op.signature
    body_fields = [p.name for p in signature.located("body_field")]
    python_names = {p.wire: p.name for p in signature.parameters}  # FastAPI passes wire names
    parameters = [
        inspect.Parameter(
            p.wire,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=fastapi_annotation(p),
            # A body is always sent (the Client sends {} for an optional body left None).
            default=inspect.Parameter.empty if p.required or p.location == "body" else p.default,
        )
        for p in signature.parameters
        if p.location != "body_field"
    ]
    if op.body_model is not None:
        parameters.append(
            inspect.Parameter(
                "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[op.body_model, Body()]
            )
        )
    parameters.append(
        inspect.Parameter("ledger", inspect.Parameter.KEYWORD_ONLY, annotation=_LEDGER[op.scope])
    )
    if op.status_of is not None:  # the status depends on the answer: FastAPI's Response sets it
        parameters.append(
            inspect.Parameter("response", inspect.Parameter.KEYWORD_ONLY, annotation=Response)
        )

    async def endpoint(ledger: Any, **received: Any) -> Any:
        response = received.pop("response", None)
        arguments = {python_names.get(name, name): value for name, value in received.items()}
        if op.body_model is not None:
            body = arguments.pop("body")
            arguments.update({name: getattr(body, name) for name in body_fields})
        answer = await getattr(ledger, op.name)(**arguments)
        if op.status_of is not None and response is not None:
            response.status_code = op.status_of(answer)
        if op.envelope is None:
            return answer
        model, field = op.envelope
        given = {name: arguments[name] for name in model.model_fields if name in arguments}
        return model(**given, **{field: answer})

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = op.name
    endpoint.__doc__ = op.__doc__
    return endpoint


def router_for(group: type[OperationGroup]) -> APIRouter:
    """The routes of ``group``'s operations, in declaration order."""
    spec = spec_of(group)
    router = APIRouter(prefix=spec.prefix, tags=[spec.tag] if spec.tag else None)
    for op in operations_of(group):
        returns = op.envelope[0] if op.envelope else op.signature.returns
        router.add_api_route(
            op.path,
            _endpoint(op),
            methods=[op.method],
            response_model=None if returns in (None, type(None)) else returns,
            status_code=op.status,
            summary=op.summary,
            description=op.description,
            operation_id=op.name,
            name=op.name,
            responses=op.responses or None,
        )
    return router
