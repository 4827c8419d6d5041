"""Reading a log holds one sample at a time: peak memory does not grow with the sample count.

Large logs are made by re-packing a real fixture's samples under new ids (an Inspect sample
member, a promptfoo result, an lm-eval line, an OpenAI match event) at two sizes, and each is
read completely (header and every sample) under tracemalloc. The peak of the large one must
stay close to the small one's: an importer that kept the samples, the ZIP directory or the
JSON document would grow about eightfold. No timing is asserted.
"""

from __future__ import annotations

import json
import shutil
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evalledger.runs.formats import detect_format
from tests.support.harness_logs import (
    INSPECT,
    OPENAI,
    PROMPTFOO_OUT,
    eval_members,
    lm_eval_results,
)

SMALL, LARGE = 100, 800


def _inspect_eval(folder: Path, n: int) -> Path:
    members = eval_members(INSPECT / "arith.eval")
    samples = [v for k, v in members.items() if k.startswith("samples/")]
    path = folder / "big.eval"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_journal/start.json", json.dumps(members["_journal/start.json"]))
        for i in range(n):
            # without its event transcript (the importer drops it) to keep the test quick
            sample = dict(samples[i % len(samples)], id=f"s{i:06d}", events=[])
            archive.writestr(f"samples/s{i:06d}_epoch_1.json", json.dumps(sample))
        archive.writestr("header.json", json.dumps(members["header.json"]))
    return path


def _inspect_json(folder: Path, n: int) -> Path:
    doc = json.loads((INSPECT / "arith_epochs.json").read_text())
    samples = doc.pop("samples")
    doc.pop("reductions", None)
    path = folder / "big.json"
    with path.open("w") as fh:
        fh.write(json.dumps(doc)[:-1] + ', "samples": [')
        for i in range(n):
            # without its event transcript (the importer drops it) to keep the test quick
            sample = dict(samples[i % len(samples)], id=f"s{i:06d}", events=[])
            fh.write(("," if i else "") + json.dumps(sample))
        fh.write("]}")
    return path


def _promptfoo(folder: Path, n: int) -> Path:
    doc = json.loads(PROMPTFOO_OUT.read_text())
    results = doc["results"].pop("results")
    path = folder / "out.json"
    head = json.dumps(doc)
    # put the results array back where promptfoo writes it, inside "results"
    marker = '"results": {'
    at = head.index(marker) + len(marker)
    with path.open("w") as fh:
        fh.write(head[:at] + '"results": [')
        for i in range(n):
            fh.write(("," if i else "") + json.dumps(dict(results[i % len(results)], testIdx=i)))
        fh.write("], " + head[at:])
    return path


def _openai(folder: Path, n: int) -> Path:
    lines = (OPENAI / "arith_match_solver.jsonl").read_text().splitlines()
    head = [line for line in lines if '"sample_id"' not in line]
    events = [json.loads(line) for line in lines if '"sample_id"' in line]
    path = folder / "big.jsonl"
    with path.open("w") as fh:
        fh.write("\n".join(head) + "\n")
        for i in range(n):
            for event in events[:2]:  # one sample's sampling and match events
                fh.write(json.dumps(dict(event, sample_id=f"arith.dev.{i}")) + "\n")
    return path


def _lm_eval(folder: Path, n: int) -> Path:
    results = lm_eval_results()
    shutil.copy(results, folder / results.name)
    for samples in results.parent.glob("samples_*.jsonl"):
        lines = samples.read_text().splitlines()
        with (folder / samples.name).open("w") as fh:
            for i in range(n):
                fh.write(json.dumps(dict(json.loads(lines[i % len(lines)]), doc_id=i)) + "\n")
    return folder / results.name


MAKERS: dict[str, Callable[[Path, int], Path]] = {
    "inspect.eval": _inspect_eval,
    "inspect.json": _inspect_json,
    "promptfoo": _promptfoo,
    "openai_evals": _openai,
    "lm_eval": _lm_eval,
}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def _peak_reading(path: Path) -> tuple[int, int]:
    """(peak traced bytes, samples read) for reading ``path`` completely."""
    fmt = detect_format(path)
    tracemalloc.start()
    try:
        fmt.read_header(path)
        count = sum(1 for _ in fmt.iter_samples(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, count


@pytest.mark.parametrize("kind", list(MAKERS))
def test_peak_memory_does_not_grow_with_the_sample_count(kind: str, tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small = MAKERS[kind](tmp_path / "small", SMALL)
    large = MAKERS[kind](tmp_path / "large", LARGE)
    per_file = 2 if kind == "lm_eval" else 1
    small_peak, small_count = _peak_reading(small)
    large_peak, large_count = _peak_reading(large)
    assert (small_count, large_count) == (SMALL * per_file, LARGE * per_file)
    assert _size(large.parent) > 6 * _size(small.parent)
    # Eight times the samples: a reader that kept them would need ~8x, one that kept the ZIP
    # directory (zipfile's ZipInfo objects) ~400 KB more. Allow 10% + 64 KiB of noise.
    assert large_peak < small_peak * 1.1 + 64 * 1024, (small_peak, large_peak)
