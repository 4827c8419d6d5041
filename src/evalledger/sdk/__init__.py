"""The Python SDK: :class:`Ledger` in-process, :class:`Client`/:class:`SyncClient` over HTTP."""
