"""The runs hook of the remote ``Client``: uploading a harness's log file to import.

The file is streamed as the request body (never read into memory); the server detects the
format and imports it exactly as :meth:`evalledger.Ledger.import_run` does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from evalledger.errors import ValidationFailed
from evalledger.operations.http import HttpBase
from evalledger.runs.schemas import RunRecorded

_RECORDED = TypeAdapter(list[RunRecorded])


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            yield chunk


class RunsClient(HttpBase):
    async def import_run(
        self,
        path: str | Path,
        *,
        tags: Sequence[str] = (),
        agent: str | None = None,
        agent_version: str | None = None,
    ) -> list[RunRecorded]:
        """Upload one harness log to import (see :meth:`evalledger.Ledger.import_run`)."""
        source = Path(path)
        if not source.is_file():
            raise ValidationFailed(f"{source}: no such file", field="file")
        params = {
            "filename": source.name,
            "tag": list(tags),
            "agent": agent,
            "agent_version": agent_version,
        }
        data = await self._upload(
            "/api/v1/runs/import",
            _read(source),
            params={k: v for k, v in params.items() if v not in (None, [])},
        )
        return _RECORDED.validate_python(data)
