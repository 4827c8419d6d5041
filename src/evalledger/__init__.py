"""evalledger: a database-first ledger for AI evaluation results.

Three ways in, one vocabulary: :class:`Ledger` (in-process, async), :class:`Client`
(remote over HTTP, async) and :class:`SyncClient` (remote, blocking), and the ``evalledger`` CLI.
"""

from evalledger._version import __version__

__all__ = ["Client", "Ledger", "SyncClient", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy so that ``import evalledger`` stays cheap for the CLI and for settings-only users.
    if name == "Ledger":
        from evalledger.sdk.ledger import Ledger

        return Ledger
    if name in ("Client", "SyncClient"):
        from evalledger.sdk import client

        return getattr(client, name)
    raise AttributeError(name)
