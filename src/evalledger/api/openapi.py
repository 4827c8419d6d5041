"""OpenAPI that tells the whole truth: every operation documents the errors it can answer.

FastAPI documents 200 and 422; the error handlers can also answer 401 (no or bad key), 403
(scope), 404, 409, 413 and 503. They are added to every operation here, in one place, so
generated clients and schema-driven tests (schemathesis) see the real contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array", "items": {}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["msg"],
                    },
                },
            ]
        }
    },
}

ERRORS = {
    "400": "The request body could not be parsed (not valid JSON or not UTF-8)",
    "401": "Missing, malformed, unknown or revoked API key",
    "403": "The key's scope does not allow this operation",
    "404": "Not found in the key's project",
    "409": "Conflicts with stored data (reused id, duplicate, constraint)",
    "413": "Request body too large",
    "503": "Database unavailable; retry after the Retry-After delay",
}
PUBLIC_PATHS = {"/health"}


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        schema["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "evalledger API key"}
        }
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                codes = {"503": ERRORS["503"]} if path in PUBLIC_PATHS else ERRORS
                for code, description in codes.items():
                    responses.setdefault(code, {"description": description, **ref})
                if path not in PUBLIC_PATHS:  # the scope, where a route declares one (deps.py)
                    operation.setdefault("security", [{"bearer": []}])
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
