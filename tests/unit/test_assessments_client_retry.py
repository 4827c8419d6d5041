"""A create that carries its own id is safe to repeat: the Client retries it after a lost
connection, and does not retry one without an id (it could be recorded twice)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from evalledger import Client
from evalledger.errors import ServerUnreachable

STUDENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def flaky_server(sent: list[httpx.Request]) -> httpx.MockTransport:
    """Loses the first request's connection, answers the next ones."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            raise httpx.ConnectError("connection lost", request=request)
        now = datetime.now(UTC).isoformat()
        student = {"id": str(STUDENT_ID), "name": "Ann", "external_id": None, "metadata": {}}
        return httpx.Response(201, json={**student, "created_at": now, "updated_at": now})

    return httpx.MockTransport(handle)


async def test_a_create_with_its_own_id_is_retried() -> None:
    sent: list[httpx.Request] = []
    async with Client("http://test", transport=flaky_server(sent)) as client:
        out = await client.create_student({"id": str(STUDENT_ID), "name": "Ann"})
    assert out.id == STUDENT_ID and len(sent) == 2


async def test_a_create_without_an_id_is_not_retried() -> None:
    sent: list[httpx.Request] = []
    async with Client("http://test", transport=flaky_server(sent)) as client:
        with pytest.raises(ServerUnreachable):
            await client.create_student({"name": "Ann"})
    assert len(sent) == 1
