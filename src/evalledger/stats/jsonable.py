"""``to_dict`` for the frozen result dataclasses of the statistics (the ``--json`` shape)."""

from __future__ import annotations

import dataclasses
from typing import Any


class AsDict:
    """Mixin for a dataclass result: every field, nested results as dicts, tuples as lists
    once serialised; no NaN or infinity ever appears (absent figures are None)."""

    def to_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        return dataclasses.asdict(self)
