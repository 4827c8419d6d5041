"""The harness fixtures (tests/fixtures/harness/, made by the real tools) read the plain way.

The tests compare what the importers read with what these helpers read independently
(``zipfile`` for the directory, ``zstandard`` for the members, ``json.load`` for documents),
and build corrupt or large variants of the real logs programmatically for the negative and
streaming tests. Nothing here is a hand-written log.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import zstandard

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harness"
INSPECT = FIXTURES / "inspect"
PROMPTFOO_OUT = FIXTURES / "promptfoo" / "out.json"
OPENAI = FIXTURES / "openai_evals"


def lm_eval_results() -> Path:
    (found,) = sorted((FIXTURES / "lm_eval").glob("*/results_*.json"))
    return found


def lm_eval_samples(task: str) -> list[dict[str, Any]]:
    results = lm_eval_results()
    date = results.name.removeprefix("results_").removesuffix(".json")
    path = results.with_name(f"samples_{task}_{date}.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def eval_members(path: Path) -> dict[str, Any]:
    """Every member of an Inspect ``.eval`` log, decompressed (zstd or deflate) and parsed."""
    out: dict[str, Any] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as fh:
        for info in archive.infolist():
            if info.compress_type != 93:
                out[info.filename] = json.loads(archive.read(info))
                continue
            fh.seek(info.header_offset + 26)
            name_len, extra_len = (
                int.from_bytes(fh.read(2), "little"),
                int.from_bytes(fh.read(2), "little"),
            )
            fh.seek(name_len + extra_len, 1)
            raw = fh.read(info.compress_size)
            data = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
            out[info.filename] = json.loads(data)
    return out


def inspect_log(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, samples) of an Inspect log, either container."""
    if path.suffix == ".json":
        doc = json.loads(path.read_text())
        samples = doc.pop("samples")
        return doc, samples
    members = eval_members(path)
    samples = [v for k, v in members.items() if k.startswith("samples/")]
    return members["header.json"], samples


def write_eval(path: Path, members: dict[str, Any]) -> Path:
    """An Inspect-style ``.eval`` ZIP of ``members`` (JSON values), deflate-compressed."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            archive.writestr(name, json.dumps(value))
    return path
