"""Moved to :mod:`evalledger.operations.http` (issue #16): the domains' hooks import it, so it
must not sit in ``sdk`` (which imports every domain).

Kept only for ``agents/`` until it imports the new place; remove it then.
"""

from evalledger.operations.http import HttpBase

__all__ = ["HttpBase"]
