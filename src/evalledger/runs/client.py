"""The runs hook of the remote ``Client``: uploading a harness's log file to import.

The file is streamed as the request body (never read into memory whole), with its length
declared, so a server whose ``EVALLEDGER_MAX_BODY_BYTES`` it exceeds refuses it (413) before
any byte is sent. A log that reads files beside it (lm-eval's samples files) is sent as a
bundle (:mod:`evalledger.runs.bundle`). The server detects the format and imports it exactly
as :meth:`evalledger.Ledger.import_run` does.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from evalledger.errors import ValidationFailed
from evalledger.operations.http import HttpBase
from evalledger.runs.bundle import companions, write_bundle
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
        as_results: bool = False,
        scorer: str | None = None,
        pass_threshold: float | None = None,
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
            "as_results": "true" if as_results else None,
            "scorer": scorer,
            "pass_threshold": pass_threshold,
        }
        with tempfile.TemporaryDirectory(prefix="evalledger-upload-") as folder:
            extra = companions(source)
            body = write_bundle(source, extra, Path(folder) / "bundle.zip") if extra else source
            size = body.stat().st_size
            try:
                data = await self._upload(
                    "/api/v1/runs/import",
                    _read(body),
                    params={k: v for k, v in params.items() if v not in (None, [])},
                    headers={"Content-Length": str(size)},
                )
            except ValidationFailed as exc:
                if not exc.message.startswith("request body exceeds"):
                    raise
                raise ValidationFailed(
                    f"{source.name}: {size} bytes to upload, over the server's limit "
                    f"({exc.message}; the server's EVALLEDGER_MAX_BODY_BYTES): raise it, or "
                    "import with a local Ledger on the database (`evalledger runs import` "
                    "with EVALLEDGER_DATABASE_URL)",
                    field="file",
                ) from None
        return _RECORDED.validate_python(data)
