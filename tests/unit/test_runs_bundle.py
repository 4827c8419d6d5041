"""The upload bundle (a log with the files it reads beside it): what the server unpacks, and
what it refuses, without a database."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from evalledger.errors import ValidationFailed
from evalledger.runs.bundle import MARKER, companions, unpack_bundle, write_bundle
from tests.support.harness_logs import INSPECT, lm_eval_results


def test_an_lm_eval_results_file_travels_with_its_samples(tmp_path: Path) -> None:
    results = lm_eval_results()
    extra = companions(results)
    assert sorted(p.name.split("_2026")[0] for p in extra) == [
        "samples_arith_gen",
        "samples_arith_mc",
    ]
    bundle = write_bundle(results, extra, tmp_path / "b.zip")
    out = tmp_path / "out"
    out.mkdir()
    log = unpack_bundle(bundle, out)
    assert log == out / results.name
    assert sorted(p.name for p in out.iterdir()) == sorted([results.name, *(p.name for p in extra)])
    assert log.read_bytes() == results.read_bytes()


def test_other_files_are_not_bundles(tmp_path: Path) -> None:
    assert companions(INSPECT / "arith.eval") == []
    assert unpack_bundle(INSPECT / "arith.eval", tmp_path) is None  # a ZIP, but a log
    assert unpack_bundle(lm_eval_results(), tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_compressed_members_and_paths_are_refused_or_flattened(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr(MARKER, '{"log": "results_x.json"}')
        archive.writestr("results_x.json", "0" * 10_000, compress_type=zipfile.ZIP_DEFLATED)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValidationFailed, match="compressed"):
        unpack_bundle(bomb, out)
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(sneaky, "w") as archive:
        archive.writestr(MARKER, '{"log": "../../results_x.json"}')
        archive.writestr("../../results_x.json", "{}")
    log = unpack_bundle(sneaky, out)
    assert log == out / "results_x.json" and log.read_text() == "{}"
    missing = tmp_path / "missing.zip"
    with zipfile.ZipFile(missing, "w") as archive:
        archive.writestr(MARKER, '{"log": "results_y.json"}')
    with pytest.raises(ValidationFailed, match="does not hold its log"):
        unpack_bundle(missing, out)
