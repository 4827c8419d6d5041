"""Bad log files are refused with a clear error naming the file (and the sample at fault).

Every bad input is made here from a real fixture: truncated, with a schema version changed,
or with one sample's field broken. The error must be a LogFormatError (a ValidationFailed:
422 over HTTP, exit code 1 in the CLI), never a KeyError or a zlib traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evalledger.errors import ValidationFailed
from evalledger.runs.formats import LogFormatError, detect_format, find_logs
from evalledger.runs.formats.inspect import InspectFormat
from tests.support.harness_logs import (
    INSPECT,
    OPENAI,
    PROMPTFOO_OUT,
    eval_members,
    lm_eval_results,
    write_eval,
)


def _consume(path: Path) -> None:
    """Read the header and every sample, as an import does."""
    fmt = detect_format(path)
    fmt.read_header(path)
    for _ in fmt.iter_samples(path):
        pass


def _truncate(source: Path, target: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


@pytest.mark.parametrize(
    "source",
    [
        INSPECT / "arith.eval",
        INSPECT / "arith_epochs.json",
        PROMPTFOO_OUT,
        OPENAI / "arith_match_solver.jsonl",
        lm_eval_results(),
    ],
    ids=lambda p: p.name,
)
def test_a_truncated_log_is_refused_naming_the_file(source: Path, tmp_path: Path) -> None:
    bad = _truncate(source, tmp_path / source.name)
    with pytest.raises(LogFormatError) as caught:
        _consume(bad)
    assert str(bad) in str(caught.value)
    assert "truncated" in str(caught.value) or "ends early" in str(caught.value)
    assert isinstance(caught.value, ValidationFailed)


def test_a_truncated_lm_eval_samples_file_names_the_line(tmp_path: Path) -> None:
    results = lm_eval_results()
    copy = tmp_path / results.name
    shutil.copy(results, copy)
    for samples in results.parent.glob("samples_*.jsonl"):
        target = tmp_path / samples.name
        data = samples.read_bytes()
        target.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogFormatError, match=r"samples_arith_\w+_.*\.jsonl: line \d+ is truncated"):
        _consume(copy)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("README.md", b"# not a log\n"),
        ("notes.json", b'{"hello": "world"}'),
        ("data.jsonl", b'{"a": 1}\n{"a": 2}\n'),
        ("archive.eval", b"PK\x03\x04 but nothing else"),
        ("empty.json", b""),
    ],
)
def test_a_file_that_is_no_log_is_refused_naming_it(
    name: str, content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LogFormatError) as caught:
        _consume(path)
    assert str(path) in caught.value.message


def test_a_folder_import_skips_files_that_are_not_logs(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello")
    shutil.copy(PROMPTFOO_OUT, tmp_path / "out.json")
    assert [(p.name, f.name) for p, f in find_logs(tmp_path)] == [("out.json", "promptfoo")]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="no such file"):
        detect_format(tmp_path / "nope.eval")


# -- unknown schema versions ------------------------------------------------------------------


def _edit_json(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    doc = json.loads(source.read_text())
    edit(doc)
    target.write_text(json.dumps(doc))
    return target


def test_an_unknown_inspect_json_schema_version_is_refused(tmp_path: Path) -> None:
    bad = _edit_json(
        INSPECT / "arith_epochs.json", tmp_path / "v9.json", lambda d: d.update(version=9)
    )
    with pytest.raises(LogFormatError, match=r"v9\.json: Inspect log schema version 9 is not"):
        _consume(bad)


def test_an_unknown_inspect_eval_schema_version_is_refused(tmp_path: Path) -> None:
    members = eval_members(INSPECT / "arith.eval")
    members["header.json"]["version"] = 9
    bad = write_eval(tmp_path / "v9.eval", members)
    with pytest.raises(LogFormatError, match=r"v9\.eval: Inspect log schema version 9 is not"):
        _consume(bad)


def test_a_deflate_eval_log_reads_like_the_zstd_one(tmp_path: Path) -> None:
    """Older Inspect writers used deflate; re-packing the real log with it reads the same."""
    repacked = write_eval(tmp_path / "deflate.eval", eval_members(INSPECT / "arith.eval"))
    fmt = InspectFormat()
    assert fmt.detect(repacked)
    mine = [(s.sample_id, s.output) for s in fmt.iter_samples(repacked)]
    real = [(s.sample_id, s.output) for s in fmt.iter_samples(INSPECT / "arith.eval")]
    assert mine == real


def test_an_unknown_promptfoo_results_version_is_refused(tmp_path: Path) -> None:
    bad = _edit_json(PROMPTFOO_OUT, tmp_path / "out.json", lambda d: d["results"].update(version=7))
    with pytest.raises(LogFormatError, match="promptfoo results version 7 is not"):
        _consume(bad)


def test_an_unknown_lm_eval_version_is_refused(tmp_path: Path) -> None:
    results = lm_eval_results()
    bad = _edit_json(results, tmp_path / results.name, lambda d: d.update(lm_eval_version="0.5.0"))
    with pytest.raises(LogFormatError, match=r"results version '0\.5\.0' is not"):
        _consume(bad)


# -- a sample that fails validation -------------------------------------------------------------


def test_an_inspect_sample_with_a_bad_epoch_names_the_sample(tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["samples"][3]["epoch"] = "first"

    bad = _edit_json(INSPECT / "arith_epochs.json", tmp_path / "bad.json", edit)
    with pytest.raises(LogFormatError) as caught:
        _consume(bad)
    assert caught.value.message.startswith(f"{bad}: sample q04: epoch must be a positive")
    assert caught.value.sample == "q04"


def test_an_inspect_eval_sample_without_a_score_value_names_sample_and_epoch(
    tmp_path: Path,
) -> None:
    members = eval_members(INSPECT / "arith_epochs.eval")
    name = next(k for k in members if k.startswith("samples/q07_epoch_2"))
    del members[name]["scores"]["grade"]["value"]
    bad = write_eval(tmp_path / "bad.eval", members)
    with pytest.raises(LogFormatError, match=r"sample q07 \(epoch 2\): scores\.grade has no value"):
        _consume(bad)


def test_a_promptfoo_result_with_a_bad_success_names_it(tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["results"]["results"][5]["success"] = "yes"

    bad = _edit_json(PROMPTFOO_OUT, tmp_path / "out.json", edit)
    with pytest.raises(LogFormatError, match=r"sample testIdx \d+ promptIdx \d+: success must be"):
        _consume(bad)


def test_an_lm_eval_line_with_a_bad_doc_id_names_the_line(tmp_path: Path) -> None:
    results = lm_eval_results()
    shutil.copy(results, tmp_path / results.name)
    for samples in results.parent.glob("samples_*.jsonl"):
        lines = samples.read_text().splitlines()
        record = json.loads(lines[2])
        record["doc_id"] = "third"
        lines[2] = json.dumps(record)
        (tmp_path / samples.name).write_text("\n".join(lines) + "\n")
    with pytest.raises(LogFormatError, match=r"line 3: doc_id must be an integer"):
        _consume(tmp_path / results.name)


def test_an_openai_match_event_with_a_bad_verdict_names_the_sample(tmp_path: Path) -> None:
    source = OPENAI / "arith_match.jsonl"
    lines = source.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '"type": "match"' in line)
    record = json.loads(lines[at])
    record["data"]["correct"] = "yes"
    lines[at] = json.dumps(record)
    bad = tmp_path / source.name
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogFormatError) as caught:
        _consume(bad)
    assert caught.value.sample is not None and record["sample_id"] in caught.value.sample
    assert "match.correct must be true or false" in caught.value.message


@pytest.mark.parametrize(
    ("source", "edit"),
    [
        (INSPECT / "arith_epochs.json", lambda d: d["eval"].update(metadata="not a map")),
        (PROMPTFOO_OUT, lambda d: d["config"].update(tags=["a", "b"])),
        (lm_eval_results(), lambda d: d.update({"higher_is_better": ["acc"]})),
    ],
    ids=["inspect", "promptfoo", "lm_eval"],
)
def test_a_field_of_the_wrong_shape_is_bad_input_not_a_crash(
    source: Path, edit: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    bad = _edit_json(source, tmp_path / source.name, edit)
    with pytest.raises(LogFormatError, match=r"malformed \w+ log") as caught:
        _consume(bad)
    assert caught.value.message.startswith(str(bad))


def test_a_flipped_bit_in_a_stored_eval_member_is_refused_naming_it(tmp_path: Path) -> None:
    """Stored (uncompressed) members have nothing but the ZIP's CRC-32 to catch corruption:
    a changed digit in a score would otherwise be imported as the harness's own."""
    members = eval_members(INSPECT / "arith.eval")
    path = tmp_path / "stored.eval"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(name, json.dumps(content))
    sample = next(n for n in members if n.startswith("samples/"))
    data = bytearray(path.read_bytes())
    at = data.index(b'"value": ', data.index(sample.encode())) + len(b'"value": ') + 1
    data[at] ^= 0x01  # "C" -> "B": still valid JSON, another grade
    path.write_bytes(bytes(data))
    with pytest.raises(LogFormatError, match=rf"{re.escape(sample)} is corrupt \(CRC-32"):
        _consume(path)
