"""Compatibility only: ``as_model`` for the domains not yet converted to declared operations
(consensus, power); the verification operations are in :mod:`evalledger.verification.operations`.
"""

from __future__ import annotations

from evalledger.operations import as_model

__all__ = ["as_model"]
