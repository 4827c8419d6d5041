"""``verify`` over imported runs: healthy after an import, and each kind of corruption (planted
with SQL) reported by the runs check, never fixed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from evalledger.runs.models import EvalRun, EvalRunMetric, EvalRunSummary, EvalSampleScore
from evalledger.sdk.ledger import Ledger
from tests.integration.test_assessments_verify import plant
from tests.support.harness_logs import FIXTURES, INSPECT, PROMPTFOO_OUT, lm_eval_results


def runs_check(report: Any) -> Any:
    (check,) = [c for c in report.checks if c.key == "runs"]
    return check


async def import_fixtures(ledger: Ledger) -> dict[str, Any]:
    out = {}
    for path in (
        INSPECT / "arith.eval",
        INSPECT / "arith_epochs.json",
        INSPECT / "arith_error.eval",
        lm_eval_results(),
        PROMPTFOO_OUT,
        FIXTURES / "openai_evals" / "arith_match.jsonl",
    ):
        for recorded in await ledger.import_run(path):
            out.setdefault(path.name, recorded.run)
    return out


async def test_imported_runs_verify_clean(ledger: Ledger) -> None:
    await import_fixtures(ledger)
    check = runs_check(await ledger.verify())
    assert check.status == "ok", [line.text for line in check.lines]
    assert "agree with their stored samples" in check.lines[0].text


async def test_a_wrong_sample_count_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    run = runs["arith.eval"]
    await plant(ledger, update(EvalRun).where(EvalRun.id == run.id).values(sample_count=11))
    check = runs_check(await ledger.verify())
    assert check.status == "issue"
    (line,) = [ln for ln in check.lines if "sample_count" in ln.text]
    assert line.count == 1 and line.sample == [str(run.id)]
    assert (await ledger.get_run(run.id)).sample_count == 11  # reported, not fixed


async def test_a_score_in_another_run_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    source, other = runs["arith.eval"], runs["arith_match.jsonl"]
    async with ledger.db.write_engine.connect() as conn:
        score_id = (
            await conn.execute(
                select(EvalSampleScore.id).where(EvalSampleScore.run_id == source.id).limit(1)
            )
        ).scalar_one()
    await plant(
        ledger,
        update(EvalSampleScore).where(EvalSampleScore.id == score_id).values(run_id=other.id),
    )
    check = runs_check(await ledger.verify())
    (line,) = [ln for ln in check.lines if "another run" in ln.text]
    assert line.count == 1 and line.sample == [str(score_id)]


async def test_a_sample_without_its_run_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    run = runs["arith_match.jsonl"]
    await plant(ledger, EvalRun.__table__.delete().where(EvalRun.id == run.id), fks_off=True)
    check = runs_check(await ledger.verify())
    texts = [ln.text for ln in check.lines]
    assert any("10 samples belong to no run" in t for t in texts), texts


async def test_a_reported_accuracy_unlike_the_samples_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    inspect, lm = runs["arith.eval"], runs[lm_eval_results().name]
    await plant(
        ledger,
        update(EvalRunMetric)
        .where(
            EvalRunMetric.run_id == inspect.id,
            EvalRunMetric.scorer == "match",
            EvalRunMetric.metric == "accuracy",
        )
        .values(value=0.9),
        # a stderr or an lm-eval stderr is not a mean: changing it is not this check's business
        update(EvalRunMetric)
        .where(EvalRunMetric.run_id == lm.id, EvalRunMetric.metric == "acc_stderr")
        .values(value=0.5),
    )
    check = runs_check(await ledger.verify())
    (line,) = [ln for ln in check.lines if "reported metrics" in ln.text]
    assert line.count == 1
    assert line.sample[0].startswith(f"run {inspect.id}: match accuracy reported 0.9")
    # a changed sample score is found the same way: the lm-eval acc no longer matches
    async with ledger.db.write_engine.connect() as conn:
        pk = (
            await conn.execute(
                select(EvalSampleScore.id)
                .where(
                    EvalSampleScore.run_id == lm.id,
                    EvalSampleScore.scorer == "acc,none",
                    EvalSampleScore.value == 0,
                )
                .limit(1)
            )
        ).scalar_one()
    await plant(ledger, update(EvalSampleScore).where(EvalSampleScore.id == pk).values(value=1.0))
    (line,) = [ln for ln in runs_check(await ledger.verify()).lines if "reported" in ln.text]
    assert line.count == 2
    assert any(s.startswith(f"run {lm.id}: acc,none acc reported") for s in line.sample)


def summary_line(check: Any) -> Any:
    (line,) = [ln for ln in check.lines if "stored summary" in ln.text]
    return line


async def test_a_stored_summary_unlike_the_samples_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    inspect, lm = runs["arith.eval"], runs[lm_eval_results().name]
    shown = {s.scorer: s for s in (await ledger.get_run(inspect.id)).summary}["match"]
    await plant(
        ledger,
        update(EvalRunSummary)
        .where(EvalRunSummary.run_id == inspect.id, EvalRunSummary.scorer == "match")
        .values(passed=EvalRunSummary.passed + 1, total=EvalRunSummary.total + 1),
    )
    check = runs_check(await ledger.verify())
    assert check.status == "issue"
    line = summary_line(check)
    assert line.count == 1 and line.sample == [str(inspect.id)]
    stale = {s.scorer: s for s in (await ledger.get_run(inspect.id)).summary}["match"]
    assert (stale.passed, stale.mean) != (shown.passed, shown.mean)  # reported, not fixed
    # a summary gone, and a score changed under its summary, are found the same way
    async with ledger.db.write_engine.connect() as conn:
        pk = (
            await conn.execute(
                select(EvalSampleScore.id)
                .where(EvalSampleScore.run_id == lm.id, EvalSampleScore.value == 0)
                .limit(1)
            )
        ).scalar_one()
    await plant(ledger, update(EvalSampleScore).where(EvalSampleScore.id == pk).values(value=1.0))
    line = summary_line(runs_check(await ledger.verify()))
    assert line.count == 2 and set(line.sample) == {str(inspect.id), str(lm.id)}
    other = runs["arith_match.jsonl"]
    await plant(ledger, EvalRunSummary.__table__.delete().where(EvalRunSummary.run_id == other.id))
    assert summary_line(runs_check(await ledger.verify())).count == 3


async def test_a_score_with_another_sample_key_is_reported(ledger: Ledger) -> None:
    runs = await import_fixtures(ledger)
    run = runs["arith_epochs.json"]
    async with ledger.db.write_engine.connect() as conn:
        score_id = (
            await conn.execute(
                select(EvalSampleScore.id).where(EvalSampleScore.run_id == run.id).limit(1)
            )
        ).scalar_one()
    await plant(
        ledger,
        update(EvalSampleScore).where(EvalSampleScore.id == score_id).values(epoch=999),
    )
    check = runs_check(await ledger.verify())
    (line,) = [ln for ln in check.lines if "sample id or epoch" in ln.text]
    assert line.count == 1 and line.sample == [str(score_id)]
