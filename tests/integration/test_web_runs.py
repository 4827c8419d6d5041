"""The evaluation runs pages in a real headless Chromium, on both backends.

What a user would check by hand: the runs page lists exactly the runs ``GET /api/v1/runs``
lists for the same filter; a run's scorer table shows the API's mean and interval; the
"failed" filter shows exactly the samples the API says that scorer failed; "next" walks to the
last sample and "previous" walks back; a sample's detail shows its explanation; an unknown run
is the HTML not-found page. Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from evalledger.demo.generator import generate
from evalledger.sdk.ledger import Ledger
from tests.integration.test_web_dashboard import (  # noqa: F401 (browser is a fixture)
    _shot,
    browser,
    csp_violations,
    pytestmark,
    server,
)

#: The probe run: twelve questions, two epochs each (three pages of ten and a part page).
QUESTIONS, EPOCHS = 12, 2


async def _probe_run(ledger: Ledger) -> str:
    samples = []
    for q in range(1, QUESTIONS + 1):
        for epoch in range(1, EPOCHS + 1):
            right = (q + epoch) % 3 != 0
            samples.append(
                {
                    "sample_id": f"q{q:02d}",
                    "epoch": epoch,
                    "input": f"question {q}",
                    "target": f"answer {q}",
                    "output": f"said {q if right else -q}",
                    "scores": {
                        "exact": {
                            "value": 1.0 if right else 0.0,
                            "answer": f"{q if right else -q}",
                            "explanation": f"q{q:02d} epoch {epoch}: "
                            + ("matches the target" if right else "the sign is wrong"),
                        },
                        "judge": {"value": round(0.1 * (q % 7) + 0.05 * epoch, 3)},
                    },
                    "input_tokens": 10 + q,
                    "output_tokens": 2,
                }
            )
    recorded = await ledger.record_run(
        {
            "external_id": "probe-run",
            "task": "probe-task",
            "model": "probe/model",
            "tags": ["probe", "nightly"],
            "metrics": {"exact": {"accuracy": 0.66}},
            "samples": samples,
        }
    )
    return str(recorded.run.id)


async def _table_ids(page: Any, table: str) -> list[str]:
    return list(
        await page.eval_on_selector_all(
            f"#{table} tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)"
        )
    )


async def _api_runs(api: httpx.AsyncClient, **params: Any) -> list[str]:
    answer = await api.get("/api/v1/runs", params=params)
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["items"]]


async def _api_samples(api: httpx.AsyncClient, run_id: str, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor: dict[str, str] = {}
    while True:
        answer = await api.get(f"/api/v1/runs/{run_id}/samples", params={**params, **cursor})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [s["id"] for s in body["items"]]
        if body["next_cursor"] is None:
            return ids
        cursor = {"cursor": body["next_cursor"]}


async def _walk(page: Any, rel: str) -> list[list[str]]:
    """The samples table of every page reached by clicking ``rel`` until it is gone."""
    pages = [await _table_ids(page, "sample-table")]
    while await page.locator(f"a[rel={rel}]").count():
        await page.locator(f"a[rel={rel}]").first.click()
        await page.wait_for_load_state()
        pages.append(await _table_ids(page, "sample-table"))
    return pages


async def test_runs_pages_in_chromium(
    ledger: Ledger,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    keys: list[str] = []
    await generate(ledger, "small", seed=11, on_key=keys.append)
    (read_key,) = keys
    probe = await _probe_run(ledger)
    backend = ledger.db.dialect_name

    with server(ledger.settings.database_url, tmp_path) as base:
        api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {read_key}"})
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        violations = csp_violations(page)
        await page.goto(f"{base}/runs")
        await page.fill("#key", read_key)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#runs")
        assert page.url == f"{base}/runs"
        assert await page.get_attribute("header nav a[href='/runs']", "aria-current") == "page"

        # Unfiltered: the API's runs, newest first (the probe run and the demo's two).
        everything = await _api_runs(api, limit=25)
        assert await _table_ids(page, "runs") == everything and len(everything) == 3
        # Every run's scorers as a dot and whisker on one axis per scorer.
        assert await page.locator("#runs td.interval svg.whisker-cell").count() == 6
        await _shot(page, "runs", backend)

        # The filter form: a model. The URL carries it; the rows are the API's for it.
        await page.fill("#filters input[name=model]", "mockllm/small")
        await page.click("#filters button[type=submit]")
        await page.wait_for_url("**/runs?**")
        assert "model=mockllm%2Fsmall" in page.url
        small = await _api_runs(api, model="mockllm/small", limit=25)
        assert await _table_ids(page, "runs") == small and len(small) == 1
        # A task and repeated tags straight from a bookmark.
        await page.goto(f"{base}/runs?task=arith")
        arith = await _api_runs(api, task="arith", limit=25)
        assert await _table_ids(page, "runs") == arith and len(arith) == 2
        await page.goto(f"{base}/runs?tag=probe&tag=nightly")
        assert await _table_ids(page, "runs") == [probe]
        # A value the API would refuse is a notice, not an error page.
        answer = await page.goto(f"{base}/runs?harness=nonsense&colour=red")
        assert answer is not None and answer.status == 200
        notices = " ".join(await page.locator(".notice").all_inner_texts())
        assert "harness" in notices and "colour" in notices
        assert await _table_ids(page, "runs") == everything

        # A run's page: the scorer table is the API's summary.
        await page.goto(f"{base}/runs?tag=probe")
        await page.click(f"#run-{probe} td:first-child a")
        await page.wait_for_selector("#scorers")
        assert page.url == f"{base}/runs/{probe}"
        summary = (await api.get(f"/api/v1/runs/{probe}")).json()["summary"]
        assert [s["scorer"] for s in summary] == ["exact", "judge"]
        for s in summary:
            cell = page.locator(f"#scorers tr[data-scorer='{s['scorer']}'] td.interval")
            for attribute, key in (("data-mean", "mean"), ("data-low", "ci_low")):
                assert float(str(await cell.get_attribute(attribute))) == pytest.approx(s[key])
            assert float(str(await cell.get_attribute("data-high"))) == pytest.approx(s["ci_high"])
            shown = await cell.inner_text()
            assert f"{s['mean']:.3f}" in shown and f"{s['ci_low']:.3f}" in shown
        reported = await page.inner_text("#scorers tr[data-scorer='exact'] td.reported")
        assert "accuracy" in reported and "0.660" in reported
        await _shot(page, "run", backend)

        # "failed samples" of a scorer: exactly the samples the API says it failed.
        await page.click("#scorers tr[data-scorer='exact'] a:text('failed samples')")
        await page.wait_for_url("**passed=false**")
        failed = await _api_samples(api, probe, scorer="exact", passed="false")
        assert await _table_ids(page, "sample-table") == failed and 0 < len(failed) < 24
        tags = await page.locator("#sample-table td.score[data-scorer=exact]").all_inner_texts()
        assert {t.split()[0] for t in tags} == {"fail"}
        assert await page.input_value("select[name=passed]") == "false"

        # A failed sample's detail: its input, target, output and the scorer's explanation.
        first = failed[0]
        detail = page.locator(f"#d-{first}")
        await detail.locator("summary").click()
        explanation = await detail.locator("tr[data-scorer=exact] td.explanation").inner_text()
        assert "the sign is wrong" in explanation
        assert await detail.locator("pre.target").inner_text() != ""
        await _shot(page, "run-failed-detail", backend)

        # Pages of ten: "next" reaches the last sample, "previous" walks back to the first.
        await page.goto(f"{base}/runs/{probe}?limit=10")
        assert await page.locator("a[rel=prev]").count() == 0
        forward = await _walk(page, "next")
        every = await _api_samples(api, probe, limit=100)
        assert [i for p in forward for i in p] == every and len(every) == QUESTIONS * EPOCHS
        assert [len(p) for p in forward] == [10, 10, 4]
        last = await page.locator("#sample-table tr.sample").last.get_attribute("data-sample")
        assert last == f"q{QUESTIONS:02d}"
        backward = await _walk(page, "prev")
        assert backward == list(reversed(forward))
        await _shot(page, "run-paged", backend)

        # Search: a sample id narrows the table to that sample's epochs.
        await page.fill("#sample-filters input[name=search]", "q07")
        await page.click("#sample-filters button[type=submit]")
        await page.wait_for_url("**search=q07**")
        epochs = await page.locator("#sample-table tr.sample").evaluate_all(
            "rows => rows.map(r => [r.dataset.sample, r.dataset.epoch])"
        )
        assert epochs == [["q07", "1"], ["q07", "2"]]

        # A scorer the run does not have is a notice; a mangled cursor is the first page.
        await page.goto(f"{base}/runs/{probe}?scorer=nope&cursor=garbage&limit=10")
        notices = " ".join(await page.locator(".notice").all_inner_texts())
        assert "scorer" in notices and "cursor" in notices
        assert await _table_ids(page, "sample-table") == every[:10]

        # A run of a task with other runs offers them to compare with (GET /runs/compare).
        await page.goto(f"{base}/runs/{arith[0]}")
        assert await page.get_attribute("form#compare", "action") == "/runs/compare"
        assert await page.input_value("form#compare input[name=base]") == arith[0]
        assert await page.input_value("form#compare select[name=candidate]") == arith[1]
        await page.goto(f"{base}/runs/{probe}")
        assert await page.locator("form#compare").count() == 0  # the only probe-task run

        # An unknown run is the HTML not-found page, as is a path that is not an id.
        for missing in (f"/runs/{uuid.uuid4()}", "/runs/not-a-run"):
            answer = await page.goto(f"{base}{missing}")
            assert answer is not None and answer.status == 404
            assert answer.headers["content-type"].startswith("text/html")
            assert await page.inner_text("h1") == "Not found"
        assert violations == []
        await context.close()
        await api.aclose()
