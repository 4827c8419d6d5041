"""An Inspect sample member is decoded field by field (msgspec), skipping its transcript;
what that decoder refuses goes through ``json.loads``. Either way the importer must see
exactly what ``json.loads`` of the whole member gives for the fields it reads."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from evalledger.runs.formats import _zip
from evalledger.runs.formats.base import LogFormatError, Where
from evalledger.runs.formats.inspect import _sample_json, _SampleFields, sample_from
from tests.support.harness_logs import FIXTURES

REAL_LOGS = sorted(FIXTURES.rglob("*.eval"))


def _sample_members(path: Path) -> list[_zip.Member]:
    return [m for m in _zip.iter_members(path) if m.name.startswith("samples/")]


@pytest.mark.parametrize("log", REAL_LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_real_sample_decodes_as_json_loads_reads_it(log: Path) -> None:
    members = _sample_members(log)
    assert members
    where = Where(log)
    with log.open("rb") as fh:
        for member in members:
            whole = json.loads(_zip.read_member(log, fh, member))
            fields = _sample_json(log, fh, member)
            assert fields == {k: whole[k] for k in _SampleFields.__struct_fields__ if k in whole}
            assert "events" in whole and "events" not in fields  # the transcript is skipped
            assert sample_from(where, fields, "run") == sample_from(where, whole, "run")


def _one_sample_log(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "one.eval"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("samples/a_epoch_1.json", body)
    return path


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "a", "epoch": 1, "metadata": {"x": NaN}, "events": []}',
        b'{"id": "a", "epoch": 1, "target": "\\ud800", "events": []}',
        b'{"id": "a", "epoch": 1, "metadata": {"x": 1e400}}',
        b'["not", "an", "object"]',
    ],
    ids=["nan", "lone-surrogate", "beyond-a-double", "not-an-object"],
)
def test_what_the_fast_decoder_refuses_is_read_as_json_loads_reads_it(
    body: bytes, tmp_path: Path
) -> None:
    path = _one_sample_log(tmp_path, body)
    (member,) = _sample_members(path)
    with path.open("rb") as fh:
        got = _sample_json(path, fh, member)
    expected = json.loads(body)
    assert json.dumps(got) == json.dumps(expected)  # NaN != NaN; their spellings are equal


def test_broken_json_in_a_sample_is_refused_naming_the_member(tmp_path: Path) -> None:
    path = _one_sample_log(tmp_path, b'{"id": "a", "epoch": 1, "input": [1, 2,')
    (member,) = _sample_members(path)
    with path.open("rb") as fh, pytest.raises(LogFormatError, match=r"samples/a_epoch_1\.json"):
        _sample_json(path, fh, member)
