"""The Ledger and the Client are one API: same answers, same exception classes.

Each domain's steps (``tests/integration/parity/<domain>.py``) run twice from the same empty
database, on both backends: in-process through :class:`~evalledger.Ledger`, then remotely
through :class:`~evalledger.Client` against a live ``evalledger serve``. The answers must be
equal once ids and clock readings are replaced by placeholders in order of appearance, and a
step that fails must fail with the same exception class (and field) on both sides.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from evalledger import Client, Ledger, SyncClient
from evalledger.errors import EvalLedgerError
from evalledger.operations import OperationGroup
from evalledger.operations.spec import groups_of, operations_of
from tests.conftest import reset_tables
from tests.integration import parity
from tests.support.server import running_server

DOMAINS = sorted(m.name for m in pkgutil.iter_modules(parity.__path__))

#: Clock readings and what is computed from them differ between two runs.
VOLATILE = re.compile(r"duration|elapsed|_ago$|^age|^decision_time_ms$")
#: Values that differ between the two runs by design: opaque cursors and file names that
#: encode ids and clock readings, and the acting user (``local`` in-process, the server's
#: key or ``no-auth`` remotely). Only whether one is there must agree.
OPAQUE = re.compile(r"^next_cursor$|^backup_file$|^user_id$")
_WHEN = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def declared_groups() -> list[type[OperationGroup]]:
    return groups_of(Ledger)


def steps_of(domain: str) -> list[parity.Step]:
    return list(importlib.import_module(f"tests.integration.parity.{domain}").STEPS)


class Normaliser:
    """Ids become ``id#1, id#2 ...`` in order of first appearance; times become ``<time>``."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, BaseModel):
            return self(value.model_dump(mode="json"))
        if isinstance(value, dict):
            return {k: self._field(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, uuid.UUID):
            value = str(value)
        if isinstance(value, str):
            try:
                uuid.UUID(value)
            except ValueError:
                return "<time>" if _WHEN.match(value) else value
            return self.ids.setdefault(value, f"id#{len(self.ids) + 1}")
        return value

    def _field(self, key: str, value: Any) -> Any:
        if VOLATILE.search(key):
            return "<volatile>"
        if OPAQUE.search(key):
            return None if value is None else "<opaque>"
        return self(value)


async def replay(target: Any, steps: list[parity.Step]) -> list[Any]:
    saved: dict[str, Any] = {}
    out: list[Any] = []
    normalise = Normaliser()
    for number, s in enumerate(steps):
        args, kwargs = parity.resolve(s.args, saved), parity.resolve(s.kwargs, saved)
        try:
            answer = await getattr(target, s.op)(*args, **kwargs)
        except EvalLedgerError as exc:
            out.append((number, s.op, "raised", type(exc).__name__, exc.field))
            continue
        if s.save:
            saved[s.save] = answer
        out.append((number, s.op, "returned", normalise(answer)))
    return out


def expectations(steps: list[parity.Step], answers: list[Any]) -> list[str]:
    """Steps whose outcome is not the one the step declares."""
    wrong = []
    for s, answer in zip(steps, answers, strict=True):
        got = answer[3] if answer[2] == "raised" else None
        want = s.raises.__name__ if s.raises else None
        if got != want:
            wrong.append(f"step {answer[0]} {s.op}: expected {want or 'success'}, got {answer}")
    return wrong


@pytest.fixture(scope="module")
def live_server() -> Iterator[Callable[[str], str]]:
    """The base URL of a live ``evalledger serve`` on a database, one per database for the
    whole module: starting a server costs seconds, and every domain's steps begin by emptying
    the tables anyway (a server that kept stale state across that would fail here, as it
    would for a user whose database is restored under it)."""
    with contextlib.ExitStack() as stack:
        bases: dict[str, str] = {}

        def base_for(database_url: str) -> str:
            if database_url not in bases:
                bases[database_url] = stack.enter_context(running_server(database_url, "--no-auth"))
            return bases[database_url]

        yield base_for


@pytest.mark.parametrize("domain", DOMAINS)
async def test_ledger_and_client_answer_alike(
    ledger: Ledger, live_server: Callable[[str], str], domain: str
) -> None:
    steps = steps_of(domain)
    await reset_tables(ledger.db)
    local = await replay(ledger, steps)
    assert not expectations(steps, local), expectations(steps, local)
    await reset_tables(ledger.db)
    async with Client(live_server(ledger.settings.database_url)) as client:
        remote = await replay(client, steps)
    for mine, theirs in zip(local, remote, strict=True):
        assert mine == theirs, f"Ledger and Client differ:\n  Ledger: {mine}\n  Client: {theirs}"


def test_every_declared_operation_has_parity_steps() -> None:
    covered = {s.op for domain in DOMAINS for s in steps_of(domain)}
    declared = {op.name for group in declared_groups() for op in operations_of(group)}
    missing = sorted(declared - covered)
    assert not missing, f"add parity steps (tests/integration/parity/) for: {missing}"
    unknown = sorted(covered - {n for n in dir(Ledger) if not n.startswith("_")})
    assert not unknown, f"parity steps name methods the Ledger lacks: {unknown}"


def _public_calls(cls: type) -> set[str]:
    """Public methods, operations and blocking wrappers (anything a caller calls)."""
    out = set()
    for name in dir(cls):
        attr = inspect.getattr_static(cls, name)
        if name.startswith("_") or isinstance(attr, property):
            continue
        if callable(attr) or hasattr(type(attr), "__get__"):
            out.add(name)
    return out


#: Lifecycle and local-only tools that are not operations of the ledger's data.
LEDGER_ONLY = {"open", "close", "as_actor", "in_project", "pin_primary"}
LEDGER_ONLY |= {"seed_default_agents", "restore", "backup"}
#: The server-side pages of a streamed export (the Client downloads it: export_results).
LEDGER_ONLY |= {"stream_results"}
CLIENT_ONLY = {"aclose"}


def test_no_operation_exists_on_one_side_only() -> None:
    ledger, client = _public_calls(Ledger) - LEDGER_ONLY, _public_calls(Client) - CLIENT_ONLY
    assert not sorted(ledger - client), f"on the Ledger only: {sorted(ledger - client)}"
    assert not sorted(client - ledger), f"on the Client only: {sorted(client - ledger)}"
    sync = _public_calls(SyncClient) - {"close"}
    assert not sorted(client - sync), f"missing on SyncClient: {sorted(client - sync)}"
