"""Comparing recorded runs (issue #19): what ``compare_runs``, ``run_leaderboard`` and
``evalledger runs compare|leaderboard`` tell a user, on both backends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import httpx
import pytest
import sqlalchemy as sa

from evalledger import Client, Ledger
from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.runs.repository import summaries
from evalledger.stats.compare import compare
from tests.conftest import make_key
from tests.support.cli import run_cli
from tests.support.runsamples import run as plain_run


async def record(
    ledger: Ledger,
    values: Sequence[float | None],
    *,
    model: str = "m",
    epochs: int = 1,
    dataset_hash: str | None = "h1",
    task: str = "arith",
    scorer: str = "match",
    ids: Sequence[str] | None = None,
) -> uuid.UUID:
    """A run whose sample i (``s<i>``) scored ``values[i]`` in each epoch; None: not run."""
    names = ids if ids is not None else [f"s{i:03d}" for i in range(len(values))]
    samples = [
        {"sample_id": name, "epoch": epoch, "scores": {scorer: {"value": value}}}
        for name, value in zip(names, values, strict=True)
        if value is not None
        for epoch in range(1, epochs + 1)
    ]
    recorded = await ledger.record_run(
        {
            "external_id": str(uuid.uuid4()),
            "task": task,
            "model": model,
            "dataset_hash": dataset_hash,
            "samples": samples,
        }
    )
    return recorded.run.id


def passes(count: int, total: int = 200) -> list[float | None]:
    return [1.0 if i < count else 0.0 for i in range(total)]


async def test_identical_runs_show_no_difference_and_pass_the_gate(ledger: Ledger) -> None:
    base = await record(ledger, passes(150))
    again = await record(ledger, passes(150))
    for candidate in (again, base):  # another identical run, and the run itself
        result = await ledger.compare_runs(base, candidate)
        match = result.comparison.scorers[0]
        assert match.difference.estimate == 0.0
        assert (match.difference.low, match.difference.high) == (0.0, 0.0)
        assert match.test.p_value == 1.0
        assert match.counts.unchanged == 200 and match.counts.regressed == 0
        assert result.gate.passed and result.gate.correction == "holm"


async def test_a_worse_candidate_fails_the_gate_and_the_cli_exits_1(ledger: Ledger) -> None:
    base = await record(ledger, passes(150))
    worse = await record(ledger, passes(120))
    result = await ledger.compare_runs(base, worse, min_effect=0.01)
    match = result.comparison.scorers[0]
    assert match.counts.regressed == 30 and match.counts.improved == 0
    assert [s.sample_id for s in match.regressed_samples][:2] == ["s120", "s121"]
    assert match.difference.estimate == pytest.approx(-0.15)
    assert not result.gate.passed and result.gate.regressed == ("match",)

    url = ledger.settings.database_url
    code, out, err = await run_cli(url, "runs", "compare", str(base), str(worse))
    assert code == 0, err  # without --fail-on-regression the report is not a failure
    assert "FAILED" in out and "regressed: match" in out and "Holm" in out
    assert "s120" in out
    code, out, err = await run_cli(
        url, "runs", "compare", str(base), str(worse), "--fail-on-regression", "--json"
    )
    assert code == 1, err
    answer = json.loads(out)
    assert answer["comparison"]["scorers"][0]["counts"]["regressed"] == 30
    assert answer["gate"]["passed"] is False
    code, _, err = await run_cli(
        url, "runs", "compare", str(base), str(base), "--fail-on-regression"
    )
    assert code == 0, err


async def test_swapping_base_and_candidate_negates_the_difference(ledger: Ledger) -> None:
    first = await record(ledger, [0.2, 0.9, 0.4, 0.7, 0.5, 0.1, 0.8])
    second = await record(ledger, [0.3, 0.6, 0.4, 0.9, 0.9, 0.0, 0.8])
    forward = (await ledger.compare_runs(first, second)).comparison.scorers[0]
    backward = (await ledger.compare_runs(second, first)).comparison.scorers[0]
    assert forward.kind == "continuous"
    assert forward.difference.estimate == pytest.approx(-backward.difference.estimate)
    assert forward.test.p_value == pytest.approx(backward.test.p_value)
    assert forward.counts.improved == backward.counts.regressed == 3
    assert forward.counts.regressed == backward.counts.improved == 2


async def test_missing_samples_are_reported_and_never_count_as_passes(ledger: Ledger) -> None:
    base = await record(ledger, passes(150))
    # the candidate dropped five samples the base failed: its rate must not go up for that
    candidate = await record(ledger, [*passes(150)[:195], None, None, None, None, None])
    match = (await ledger.compare_runs(base, candidate)).comparison.scorers[0]
    assert match.counts.missing == 5 and match.n_pairs == 195
    assert {m.absent_from for m in match.missing} == {"candidate"}
    assert [m.sample_id for m in match.missing] == [f"s{i}" for i in range(195, 200)]
    assert match.base.mean == match.candidate.mean == pytest.approx(150 / 195)
    assert match.difference.estimate == 0.0


async def test_every_scorer_with_values_is_compared_when_none_is_named(ledger: Ledger) -> None:
    """Unnamed, the scorers come from the runs' stored summaries; a scorer none of whose
    samples has a value is left out, and a run whose summary is gone is read the long way."""

    async def two_scorers(passed: int) -> uuid.UUID:
        recorded = await ledger.record_run(
            {
                "external_id": str(uuid.uuid4()),
                "task": "arith",
                "model": "m",
                "dataset_hash": "h1",
                "samples": [
                    {
                        "sample_id": f"s{i:03d}",
                        "scores": {
                            "match": {"value": 1.0 if i < passed else 0.0},
                            "f1": {"value": round(i / 40, 3)},
                            "judge": {"value": None, "answer": "abstained"},
                        },
                    }
                    for i in range(40)
                ],
            }
        )
        return recorded.run.id

    base, candidate = await two_scorers(30), await two_scorers(20)
    first = await ledger.compare_runs(base, candidate)
    assert [s.scorer for s in first.comparison.scorers] == ["f1", "match"]
    assert first.comparison.scorer("match").counts.regressed == 10
    async with ledger._read() as uow:
        listed = await uow.session.execute(
            sa.select(summaries.c.scorer).where(summaries.c.run_id == base)
        )
        assert sorted(listed.scalars()) == ["f1", "judge", "match"]  # judge: no values
    async with ledger._write() as uow:  # as a run stored before its summary could look
        await uow.session.execute(sa.delete(summaries).where(summaries.c.run_id == candidate))
    again = await ledger.compare_runs(base, candidate)
    assert again.comparison == first.comparison


async def test_a_changed_dataset_is_refused_by_the_gate_unless_allowed(ledger: Ledger) -> None:
    base = await record(ledger, passes(150))
    other = await record(ledger, passes(150), dataset_hash="h2")
    result = await ledger.compare_runs(base, other)
    assert result.comparison.dataset_changed
    assert result.gate.refused and not result.gate.passed and "h1" in (result.gate.reason or "")
    allowed = await ledger.compare_runs(base, other, allow_dataset_change=True)
    assert allowed.gate.passed and not allowed.gate.refused

    url = ledger.settings.database_url
    code, out, err = await run_cli(
        url, "runs", "compare", str(base), str(other), "--fail-on-regression"
    )
    assert code == 1, err
    assert "DATASET CHANGED" in out and "REFUSED" in out
    code, _, err = await run_cli(
        url,
        "runs",
        "compare",
        str(base),
        str(other),
        "--fail-on-regression",
        "--allow-dataset-change",
    )
    assert code == 0, err


async def test_epochs_of_one_sample_are_one_cluster(ledger: Ledger) -> None:
    base_values = passes(30, 40)
    worse_values = passes(22, 40)
    base = await record(ledger, base_values, epochs=3)
    worse = await record(ledger, worse_values, epochs=3)
    match = (await ledger.compare_runs(base, worse)).comparison.scorers[0]
    assert (match.n_pairs, match.n_samples, match.max_epochs) == (120, 40, 3)
    # Three identical epochs are no more evidence than one: the test sees one difference per
    # sample, so its p-value is the one of the single-epoch runs.
    once = compare(plain_run(base_values), plain_run(worse_values), kinds={"match": "continuous"})
    assert match.test.p_value == pytest.approx(once.scorers[0].test.p_value)
    assert match.difference.low == pytest.approx(once.scorers[0].difference.low)


async def test_bad_input_and_unknown_runs_are_named(ledger: Ledger) -> None:
    base = await record(ledger, passes(5, 10))
    with pytest.raises(NotFoundError) as missing:
        await ledger.compare_runs(base, uuid.uuid4())
    assert missing.value.field == "candidate"
    with pytest.raises(ValidationFailed) as unknown:
        await ledger.compare_runs(base, base, scorer=["nope"])
    assert unknown.value.field == "scorer"
    with pytest.raises(ValidationFailed) as alpha:
        await ledger.compare_runs(base, base, alpha=1.5)
    assert alpha.value.field == "alpha"
    code, _, err = await run_cli(
        ledger.settings.database_url, "runs", "compare", str(base), str(uuid.uuid4())
    )
    assert code == 3 and "candidate" in err


async def test_the_leaderboard_ranks_each_models_newest_run(ledger: Ledger) -> None:
    await record(ledger, passes(10), model="large")  # an old run of large: superseded
    large = await record(ledger, passes(150), model="large")
    await record(ledger, passes(147), model="medium")
    await record(ledger, passes(120), model="small")
    await record(ledger, passes(200), model="other", task="spelling")
    board = await ledger.run_leaderboard("arith")
    rows = board.leaderboard.rows
    assert [r.model for r in rows] == ["large", "medium", "small"]
    assert rows[0].better_than == ("small",)  # not medium: 3 questions are noise
    assert {r.model: r.id for r in board.runs}["large"] == large
    assert board.ratings == []
    with pytest.raises(NotFoundError):
        await ledger.run_leaderboard("nothing")

    code, out, err = await run_cli(
        ledger.settings.database_url, "runs", "leaderboard", "--task", "arith", "--json"
    )
    assert code == 0, err
    ranked = [r["model"] for r in json.loads(out)["leaderboard"]["rows"]]
    assert ranked == ["large", "medium", "small"]
    code, out, err = await run_cli(
        ledger.settings.database_url, "runs", "leaderboard", "--task", "arith", "--ratings"
    )
    assert code == 0, err
    assert "large" in out and "Bradley-Terry" in out


async def test_the_client_answers_as_the_ledger(seeded: Ledger) -> None:
    base = await record(seeded, passes(150))
    worse = await record(seeded, passes(120), model="other")
    key = await make_key(seeded, "read")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as client:
        assert await client.compare_runs(base, worse, scorer=["match"], rounds=200) == (
            await seeded.compare_runs(base, worse, scorer=["match"], rounds=200)
        )
        assert await client.run_leaderboard("arith", ratings=True) == (
            await seeded.run_leaderboard("arith", ratings=True)
        )
        with pytest.raises(NotFoundError):
            await client.compare_runs(uuid.uuid4(), worse)
