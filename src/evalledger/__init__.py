"""evalledger: a database-first ledger for AI evaluation results.

Three ways in, one vocabulary: :class:`Ledger` (in-process, async), :class:`Client`
(remote over HTTP, async) and :class:`SyncClient` (remote, blocking), and the ``evalledger`` CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalledger._version import __version__

if TYPE_CHECKING:
    # What type checkers and IDEs see; at run time the names are imported on first use.
    from evalledger.sdk.client import Client, SyncClient
    from evalledger.sdk.ledger import Ledger

__all__ = ["Client", "Ledger", "SyncClient", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy so that ``import evalledger`` stays cheap for the CLI and for settings-only users,
    # and ``evalledger.Client`` does not load the server side (the Ledger's database layer).
    if name == "Ledger":
        from evalledger.sdk.ledger import Ledger

        return Ledger
    if name in ("Client", "SyncClient"):
        from evalledger.sdk import client

        return getattr(client, name)
    raise AttributeError(f"module 'evalledger' has no attribute {name!r}")
