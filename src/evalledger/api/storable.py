"""Moved to :mod:`evalledger.schema.storable` (the shared schema core, issue #16).

Kept only for ``agents/`` until it imports the core; remove it then.
"""

from evalledger.schema.storable import *  # noqa: F403
from evalledger.schema.storable import number_problem, text_problem

__all__ = ["number_problem", "text_problem"]
