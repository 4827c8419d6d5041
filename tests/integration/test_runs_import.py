"""Importing the real harness logs (tests/fixtures/harness/), end to end, on both backends.

Every fixture of the four harnesses is imported in-process (``Ledger.import_run``) and through
the ``Client`` against the app (a streamed upload), and then read back *from the database*:
the statistics evalledger computes from the stored samples equal what the harness reported
(where :mod:`evalledger.runs.faithful` says they are the same quantity), and every stored
sample's score, answer, explanation, output and error equal what the format reader reads from
the file. Re-import is a no-op, a different file under the same run identity is a 409 and a
corrupt file is refused naming it; neither writes a row.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evalledger.api.app import create_app
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.runs import faithful
from evalledger.runs.formats import FORMATS, Sample, find_logs
from evalledger.runs.formats.aggregate import mean_stderr
from evalledger.runs.formats.base import Format, LogHeader
from evalledger.runs.importing import _finite, _plain, scorer_key
from evalledger.runs.models import (
    EvalRun,
    EvalRunMetric,
    EvalSample,
    EvalSampleScore,
    EvalSampleText,
)
from evalledger.runs.schemas import RunOut, RunRecorded, SampleOut
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.support.cli import run_cli
from tests.support.harness_logs import FIXTURES, INSPECT, PROMPTFOO_OUT, lm_eval_results

LOGS = [path for path, _ in find_logs(FIXTURES)]
#: One log of each kind the harnesses write (the compare/ logs repeat those kinds at a
#: larger size, for tests/integration/test_runs_compare_harness.py): what the remote and
#: conflict paths are checked on, so the suite does not pay for the same path nine more times.
KINDS = [path for path in LOGS if "compare" not in path.relative_to(FIXTURES).parts]
TABLES = (EvalRun, EvalRunMetric, EvalSample, EvalSampleScore, EvalSampleText)


def test_every_harness_has_fixtures() -> None:
    by_format = {fmt.name for _, fmt in find_logs(FIXTURES)}
    assert by_format == {f.name for f in FORMATS}
    assert len(LOGS) == 9 + 4 + 5  # and compare/: 4 Inspect logs, 5 lm-eval results files


def _read(path: Path) -> tuple[LogHeader, list[Sample]]:
    """The file as the formats module reads it: the reference the database must match."""
    fmt: Format = next(f for f in FORMATS if f.detect(path))
    return fmt.read_header(path), list(fmt.iter_samples(path))


async def counts(ledger: Ledger) -> dict[str, int]:
    async with ledger.db.write_engine.connect() as conn:
        return {
            m.__tablename__: int(
                (await conn.execute(select(func.count()).select_from(m.__table__))).scalar_one()
            )
            for m in TABLES
        }


async def all_samples(side: Any, run_id: Any) -> list[SampleOut]:
    out: list[SampleOut] = []
    cursor = None
    while True:
        page = await side.list_samples(run_id, limit=7, cursor=cursor)  # several pages
        out.extend(page.items)
        if not page.next_cursor:
            return out
        cursor = page.next_cursor


def client_for(ledger: Ledger, key: str, **settings: Any) -> Client:
    app = create_app(ledger.settings.model_copy(update=settings), ledger=ledger)
    return Client("http://test", api_key=key, transport=httpx.ASGITransport(app=app))


# -- faithfulness ---------------------------------------------------------------------------


async def assert_faithful(side: Any, path: Path, recorded: Sequence[RunRecorded]) -> None:
    """What is stored for ``path`` (read back through ``side``) is what the file says."""
    header, samples = _read(path)
    by_identity = {r.run.external_id: r.run for r in recorded}
    assert len(by_identity) == len(header.runs)
    for run in header.runs:
        stored: RunOut = await side.get_run(by_identity[run.identity].id)
        mine = [s for s in samples if s.run_key == run.key]
        assert stored.sample_count == len(mine)
        assert stored.source_file == path.name
        summary = {s.scorer: s for s in stored.summary}
        rows = await all_samples(side, stored.id)
        assert_samples_round_trip(path, mine, rows)
        checked = 0
        for scorer in run.scorers:
            key = scorer_key(scorer.name, scorer.reducer)
            mean = summary[key].mean if key in summary else None
            for metric in scorer.metrics:
                assert summary[key].reported[metric.key] == _finite(metric.value), (key, metric)
                if metric.value is None:
                    continue
                if faithful.is_mean(run.harness, key, metric.key, scorer.params):
                    assert mean is not None, (path.name, key, metric.key)
                    assert abs(mean - metric.value) <= 1e-9, (path.name, key, metric.key)
                    checked += 1
                elif faithful.is_mean_stderr(
                    run.harness, key, metric.key, scorer.params, metric.params
                ):
                    means = per_sample_means(rows, key)
                    assert abs(mean_stderr(means) - metric.value) <= 1e-9, (path.name, key)
                    checked += 1
        if run.harness == "promptfoo":
            checked += assert_promptfoo_counts(run, summary)
        assert checked >= 1, f"{path.name}: no reported metric was checked"


def per_sample_means(rows: Sequence[SampleOut], scorer: str) -> list[float]:
    """Per sample id, the mean of its stored epochs' values (the unit Inspect's and
    lm-eval's stderr use), recomputed from the stored rows."""
    values: dict[str, list[float]] = {}
    for row in rows:
        score = row.scores.get(scorer)
        if score is not None and score.value is not None:
            values.setdefault(row.sample_id, []).append(score.value)
    return [sum(v) / len(v) for v in values.values()]


def assert_promptfoo_counts(run: Any, summary: dict[str, Any]) -> int:
    """promptfoo reports counts, not means: tests passed, failed and errored, and the sum."""
    passed = run.scorer("pass")
    assert summary["pass"].passed == passed.metric("testPassCount").value
    failed = passed.metric("testFailCount").value + passed.metric("testErrorCount").value
    assert summary["pass"].samples - summary["pass"].passed == failed
    total = run.scorer("score").metric("score").value
    assert abs(summary["score"].mean * summary["score"].scored - total) <= 1e-9
    return 3


def assert_samples_round_trip(path: Path, read: list[Sample], stored: list[SampleOut]) -> None:
    by_key = {(s.sample_id, s.epoch): s for s in stored}
    assert len(by_key) == len(read), path.name
    for sample in read:
        row = by_key[(str(sample.sample_id), sample.epoch)]
        where = f"{path.name} sample {sample.sample_id} epoch {sample.epoch}"
        assert row.output == sample.output, where
        assert row.error == sample.error, where
        assert row.input == _plain(sample.input), where
        assert row.target == _plain(sample.target), where
        assert set(row.scores) == set(sample.scores), where
        for name, score in sample.scores.items():
            got = row.scores[name]
            assert got.value == _finite(score.value_float), (where, name)
            assert got.raw == _plain(score.value), (where, name)
            assert got.answer == score.answer, (where, name)
            assert got.explanation == score.explanation, (where, name)


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name)
async def test_import_in_process_is_faithful_and_idempotent(ledger: Ledger, path: Path) -> None:
    first = await ledger.import_run(path, tags=["fixture"])
    assert first and all(r.created for r in first)
    assert all("fixture" in r.run.tags for r in first)
    assert sum(r.samples_written for r in first) == len(_read(path)[1])
    await assert_faithful(ledger, path, first)
    before = await counts(ledger)
    again = await ledger.import_run(path, tags=["fixture"])
    assert [r.created for r in again] == [False] * len(first)
    assert sorted(r.run.id for r in again) == sorted(r.run.id for r in first)
    assert all(r.samples_written == 0 for r in again)
    assert await counts(ledger) == before


@pytest.mark.parametrize("path", KINDS, ids=lambda p: p.name)
async def test_import_through_the_client_is_faithful(seeded: Ledger, path: Path) -> None:
    key = await make_key(seeded, "write")
    async with client_for(seeded, key) as client:
        first = await client.import_run(path)
        assert all(r.created for r in first)
        await assert_faithful(client, path, first)
        before = await counts(seeded)
        again = await client.import_run(path)
        assert [r.created for r in again] == [False] * len(first)
        assert await counts(seeded) == before
    # the same file in-process afterwards: recognised as the same runs
    assert not any(r.created for r in await seeded.import_run(path))


# -- conflicts and bad files ----------------------------------------------------------------


def altered_copy(path: Path, folder: Path) -> Path:
    """A different file (other bytes) that claims the same runs as ``path``: same name,
    same harness ids, one answer changed or a byte appended."""
    if path.parent.parent.name == "lm_eval":  # its results file reads its samples beside it
        target_dir = folder / path.parent.name
        shutil.copytree(path.parent, target_dir)
        target = target_dir / path.name
    else:
        target = folder / path.name
        shutil.copy(path, target)
    if path.suffix == ".eval":
        rewrite_eval_sample(path, target)
    else:
        target.write_bytes(target.read_bytes() + b"\n")
    return target


def rewrite_eval_sample(source: Path, target: Path) -> None:
    from tests.support.harness_logs import eval_members, write_eval

    members = eval_members(source)
    name = next(k for k in members if k.startswith("samples/"))
    members[name]["output"]["completion"] = "a different answer"
    write_eval(target, members)


@pytest.mark.parametrize("path", KINDS, ids=lambda p: p.name)
async def test_other_content_under_the_same_identity_is_a_409(
    seeded: Ledger, path: Path, tmp_path: Path
) -> None:
    await seeded.import_run(path)
    before = await counts(seeded)
    other = altered_copy(path, tmp_path)
    with pytest.raises(ConflictError) as info:
        await seeded.import_run(other)
    assert other.name in str(info.value) and "nothing written" in str(info.value)
    key = await make_key(seeded, "write")
    async with client_for(seeded, key) as client:
        with pytest.raises(ConflictError) as remote:
            await client.import_run(other)
    assert other.name in str(remote.value)
    assert await counts(seeded) == before


async def test_a_file_with_one_new_and_one_conflicting_run_writes_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    """promptfoo's output holds six runs: a conflict in one refuses the other five too."""
    doc = json.loads(PROMPTFOO_OUT.read_text())
    first = tmp_path / "one" / "out.json"
    first.parent.mkdir()
    only = dict(doc)
    only["results"] = {**doc["results"], "results": doc["results"]["results"][:1]}
    first.write_text(json.dumps(only))
    created = await ledger.import_run(first)
    assert len(created) >= 1
    before = await counts(ledger)
    with pytest.raises(ConflictError):
        await ledger.import_run(PROMPTFOO_OUT)
    assert await counts(ledger) == before


def truncated(path: Path, folder: Path) -> Path:
    target = folder / f"truncated-{path.name}"
    data = path.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def broken_sample(folder: Path) -> Path:
    """A real Inspect log whose second sample's score value is not a score at all."""
    from tests.support.harness_logs import eval_members, write_eval

    members = eval_members(INSPECT / "arith.eval")
    name = sorted(k for k in members if k.startswith("samples/"))[1]
    members[name]["epoch"] = "second"
    return write_eval(folder / "broken-sample.eval", members)


def bad_files(folder: Path) -> list[tuple[Path, str]]:
    """(file, text the error must contain) for every kind of bad input."""
    unknown = folder / "notes.json"
    unknown.write_text('{"hello": "world"}')
    garbage = folder / "garbage.eval"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    empty = folder / "empty.jsonl"
    empty.write_text("")
    samples_only = next(lm_eval_results().parent.glob("samples_*.jsonl"))
    not_zip = folder / "renamed.eval"
    with zipfile.ZipFile(not_zip, "w") as archive:
        archive.writestr("hello.txt", "not an Inspect log")
    return [
        (truncated(INSPECT / "arith.eval", folder), "truncated-arith.eval"),
        (truncated(PROMPTFOO_OUT, folder), "truncated-out.json"),
        (truncated(FIXTURES / "openai_evals" / "arith_match.jsonl", folder), "truncated-"),
        (unknown, "notes.json"),
        (garbage, "garbage.eval"),
        (empty, "empty.jsonl"),
        (not_zip, "renamed.eval"),
        (samples_only, samples_only.name),
        (broken_sample(folder), "broken-sample.eval"),
        (folder / "missing.eval", "missing.eval"),
    ]


async def test_bad_files_are_refused_naming_them_and_write_nothing(
    seeded: Ledger, tmp_path: Path
) -> None:
    key = await make_key(seeded, "write")
    cases = bad_files(tmp_path)
    async with client_for(seeded, key) as client:
        for path, named in cases:
            for side in (seeded, client):
                with pytest.raises(ValidationFailed) as info:
                    await side.import_run(path)
                assert named in str(info.value), (side, path.name, str(info.value))
    assert set((await counts(seeded)).values()) == {0}


async def test_a_sample_that_fails_validation_is_named(ledger: Ledger, tmp_path: Path) -> None:
    path = broken_sample(tmp_path)
    with pytest.raises(ValidationFailed) as info:
        await ledger.import_run(path)
    assert "broken-sample.eval" in str(info.value) and "sample" in str(info.value)


def _set_completion(sample: dict[str, Any], text: str) -> None:
    sample["output"]["completion"] = text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: _set_completion(s, "4\x00"), "output: strings may not contain NUL"),
        (lambda s: s.update(metadata={"k": "x\ud800y"}), "metadata.k: strings may not contain a"),
        (
            lambda s: s["scores"]["match"].update(explanation="\x00"),
            "scores.match.explanation: strings may not contain NUL",
        ),
    ],
)
async def test_unstorable_text_in_a_log_is_refused_naming_file_sample_and_field(
    ledger: Ledger, tmp_path: Path, change: Any, field: str
) -> None:
    from tests.support.harness_logs import eval_members, write_eval

    members = eval_members(INSPECT / "arith.eval")
    name = sorted(k for k in members if k.startswith("samples/"))[1]
    change(members[name])
    path = write_eval(tmp_path / "hostile.eval", members)
    with pytest.raises(ValidationFailed) as info:
        await ledger.import_run(path)
    said = str(info.value)
    assert said.startswith(f"{path}: sample {members[name]['id']} (epoch 1): {field}"), said
    assert set((await counts(ledger)).values()) == {0}


async def test_a_log_with_a_sample_twice_is_a_409_and_writes_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    """300 samples (past the size at which PostgreSQL's samples go through COPY), one of them
    twice: refused as a whole, whichever way the rows were being written."""
    from tests.support.harness_logs import eval_members, write_eval

    members = eval_members(INSPECT / "arith.eval")
    names = sorted(k for k in members if k.startswith("samples/"))
    template = members[names[0]]
    for name in names:
        del members[name]
    for i in range(300):
        members[f"samples/s{i}_epoch_1.json"] = {**template, "id": f"s{i}"}
    members["samples/s7_again_epoch_1.json"] = {**template, "id": "s7"}
    path = write_eval(tmp_path / "twice.eval", members)
    with pytest.raises(ConflictError) as info:
        await ledger.import_run(path)
    assert "same id and epoch" in str(info.value), str(info.value)
    assert set((await counts(ledger)).values()) == {0}


async def test_an_upload_over_the_body_limit_is_a_clear_413(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    path = INSPECT / "arith_epochs.eval"  # 60 KB
    async with client_for(seeded, key, max_body_bytes=16 * 1024) as client:
        with pytest.raises(ValidationFailed) as info:
            await client.import_run(path)
    message = str(info.value)
    assert path.name in message and "EVALLEDGER_MAX_BODY_BYTES" in message
    assert set((await counts(seeded)).values()) == {0}


# -- the command line -------------------------------------------------------------------------


async def test_cli_imports_a_folder_and_exports(ledger: Ledger, tmp_path: Path) -> None:
    url = ledger.settings.database_url
    code, out, err = await run_cli(url, "runs", "import", str(FIXTURES))
    assert code == 0, err
    runs = (await ledger.list_runs(limit=100)).items
    # inspect 4, lm_eval 2, openai 3, promptfoo 6; compare/: inspect 4, lm_eval 5
    assert len(runs) == 1 + 1 + 1 + 1 + 2 + 3 + 6 + 4 + 5
    for run in runs:
        assert str(run.id) in out
    code, out, err = await run_cli(url, "runs", "import", str(FIXTURES))
    assert code == 0 and out.count("already imported, unchanged") == len(runs)

    bad = truncated(PROMPTFOO_OUT, tmp_path)
    code, out, err = await run_cli(url, "runs", "import", str(bad))
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and bad.name in lines[0], err

    (inspect,) = [r for r in runs if r.source_file == "arith_epochs.eval"]
    target = tmp_path / "samples.jsonl"
    code, out, err = await run_cli(url, "runs", "export", str(inspect.id), "-o", str(target))
    assert code == 0, err
    lines = target.read_text().splitlines()
    assert len(lines) == inspect.sample_count == 24
    assert {(json.loads(x)["sample_id"], json.loads(x)["epoch"]) for x in lines} == {
        (s.sample_id, s.epoch) for s in await all_samples(ledger, inspect.id)
    }
    table = tmp_path / "samples.csv"
    code, out, err = await run_cli(
        url, "runs", "export", str(inspect.id), "--format", "csv", "-o", str(table)
    )
    assert code == 0, err
    import csv

    with table.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 24 * 3  # sample x scorer
    assert {r["scorer"] for r in rows} == {"match", "includes", "grade"}


# -- a live server ----------------------------------------------------------------------------


async def test_import_against_a_live_server(
    seeded: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ``evalledger serve`` (uvicorn, a 40 KB body limit): an lm-eval log arrives with
    its samples (the bundle), an Inspect log imports, and a log over the limit is
    a 413 naming the file and the setting, refused before anything is written."""
    from tests.support.server import running_server

    key = await make_key(seeded, "write")
    monkeypatch.setenv("EVALLEDGER_MAX_BODY_BYTES", str(40 * 1024))
    with running_server(seeded.settings.database_url) as base:
        async with Client(base, api_key=key) as client:
            for path in (lm_eval_results(), INSPECT / "arith.eval"):  # both under 40 KB
                recorded = await client.import_run(path)
                await assert_faithful(client, path, recorded)
            before = await counts(seeded)
            big = INSPECT / "arith_epochs.eval"  # 60 KB
            with pytest.raises(ValidationFailed) as info:
                await client.import_run(big)
            assert big.name in str(info.value)
            assert "EVALLEDGER_MAX_BODY_BYTES" in str(info.value)
            assert await counts(seeded) == before
    assert before["eval_runs"] == 3 and before["eval_samples"] == 12 + 32
