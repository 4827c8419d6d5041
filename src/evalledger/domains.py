"""Discovery of domain packages, so a new domain plugs in without editing shared lists.

A domain package ``evalledger.<name>`` may provide ``models`` (tables), ``router`` (with a
module-level ``router``) and ``cli`` (with ``register(root: typer.Typer)``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import evalledger

#: Packages that are shared mechanisms, not domains.
_NOT_DOMAINS = {"api", "cli", "db", "operations", "schema", "sdk", "stats"}


def domain_modules(kind: str) -> Iterator[ModuleType]:
    """Each domain's ``<kind>`` module (``models``, ``router``, ``cli``), in name order."""
    for info in sorted(pkgutil.iter_modules(evalledger.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name in _NOT_DOMAINS:
            continue
        name = f"evalledger.{info.name}.{kind}"
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
