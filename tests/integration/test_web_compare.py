"""The compare page in a real headless Chromium, on both backends.

What a reviewer of a candidate run would check by hand: the run page's "compare with" form
opens the comparison; the regressed samples come first (largest drop first), then the
improved, unchanged and missing ones; every count, mean, difference and p-value on the page
is the one ``evalledger runs compare --json`` prints for the same runs; each sample's two
outputs are side by side; a changed dataset is a warning banner and the gate refuses; bad ids
are the HTML not-found page. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_web_dashboard import (  # noqa: F401 (browser is a fixture)
    _shot,
    browser,
    csp_violations,
    pytestmark,
    server,
)
from tests.support.cli import run_cli

QUESTIONS = 12
#: The candidate answers these wrong where the base was right (exact drops 1 -> 0), and its
#: judge score drops by the given amounts there.
REGRESSED = {"q01": 0.6, "q02": 0.2, "q03": 0.4, "q04": 0.1, "q05": 0.3}
IMPROVED = "q11"  # the base got it wrong, the candidate right
NOT_RUN = "q10"  # the candidate never ran it: missing


def _sample(q: int, candidate: bool) -> dict[str, Any] | None:
    name = f"q{q:02d}"
    if candidate and name == NOT_RUN:
        return None
    right = q <= 10
    judge = 0.8
    if candidate and name in REGRESSED:
        right, judge = False, round(0.8 - REGRESSED[name], 3)
    if candidate and name == IMPROVED:
        right, judge = True, 0.9
    who = "candidate" if candidate else "base"
    return {
        "sample_id": name,
        "epoch": 1,
        "input": f"question {q}",
        "target": f"answer {q}",
        "output": f"{who} says {q if right else -q}",
        "scores": {"exact": {"value": 1.0 if right else 0.0}, "judge": {"value": judge}},
    }


async def _record(ledger: Ledger, name: str, candidate: bool, dataset: str = "d1") -> str:
    samples = [s for q in range(1, QUESTIONS + 1) if (s := _sample(q, candidate))]
    recorded = await ledger.record_run(
        {
            "external_id": name,
            "task": "compare-task",
            "model": f"model/{name}",
            "dataset_hash": dataset,
            "samples": samples,
        }
    )
    return str(recorded.run.id)


async def _cli_json(url: str, *args: str) -> dict[str, Any]:
    code, out, err = await run_cli(url, "runs", "compare", *args, "--json")
    assert code == 0, err
    answer: dict[str, Any] = json.loads(out)
    return answer


async def _rows(page: Any) -> list[list[str]]:
    return list(
        await page.locator("#sample-table tr.sample").evaluate_all(
            "rows => rows.map(r => [r.dataset.sample, r.dataset.outcome])"
        )
    )


async def _figure(page: Any, scorer: str, css: str) -> str:
    cell = page.locator(f"#scorers tr[data-scorer='{scorer}'] td.{css}")
    return str(await cell.get_attribute("data-value"))


async def test_compare_page_in_chromium(
    ledger: Ledger,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    read_key = await make_key(ledger, "read")
    base_run = await _record(ledger, "base", candidate=False)
    candidate_run = await _record(ledger, "candidate", candidate=True)
    other_data = await _record(ledger, "other-data", candidate=False, dataset="d2")
    url, backend = ledger.settings.database_url, ledger.db.dialect_name
    cli = await _cli_json(url, base_run, candidate_run)

    with server(url, tmp_path) as base:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        violations = csp_violations(page)
        await page.goto(f"{base}/runs/{base_run}")
        await page.fill("#key", read_key)
        await page.click("button[type=submit]")
        await page.wait_for_selector("form#compare")

        # On /runs: pick a base and a candidate, then Compare.
        await page.goto(f"{base}/runs?task=compare-task")
        await page.check(f"#run-{other_data} input[name=base]")
        await page.check(f"#run-{base_run} input[name=candidate]")
        await page.click("#compare-runs button[type=submit]")
        await page.wait_for_selector("#sample-table")
        picked = parse_qs(urlsplit(page.url).query)
        assert picked == {"base": [other_data], "candidate": [base_run]}

        # The run page's "compare with" form opens the comparison with the chosen run.
        await page.goto(f"{base}/runs/{base_run}")
        await page.select_option("form#compare select[name=candidate]", candidate_run)
        await page.click("form#compare button[type=submit]")
        await page.wait_for_selector("#sample-table")
        assert page.url == f"{base}/runs/compare?base={base_run}&candidate={candidate_run}"
        assert await page.inner_text("#base-run td.model") == "model/base"
        assert await page.inner_text("#candidate-run td.model") == "model/candidate"
        assert await page.inner_text("#candidate-run td.dataset") == "d1"
        assert await page.locator("#dataset-changed").count() == 0

        # Every scorer's figures are the CLI's JSON for the same pair.
        for entry in cli["comparison"]["scorers"]:
            name = entry["scorer"]
            row = page.locator(f"#scorers tr[data-scorer='{name}']")
            for outcome, n in entry["counts"].items():
                shown = await row.locator(f"td.count[data-outcome={outcome}]").inner_text()
                assert int(shown) == n, (name, outcome)
            assert int(await _figure(page, name, "n-pairs")) == entry["n_pairs"]
            for css, value in (
                ("base-mean", entry["base"]["mean"]),
                ("candidate-mean", entry["candidate"]["mean"]),
                ("difference", entry["difference"]["estimate"]),
                ("p-value", entry["test"]["p_value"]),
            ):
                assert float(await _figure(page, name, css)) == pytest.approx(value), css
            low, high = entry["difference"]["low"], entry["difference"]["high"]
            assert f"[{low:+.3f}, {high:+.3f}]" in await row.locator("td.difference").inner_text()
        exact = next(e for e in cli["comparison"]["scorers"] if e["scorer"] == "exact")
        assert exact["counts"] == {"improved": 1, "regressed": 5, "unchanged": 5, "missing": 1}
        verdict = "PASSED" if cli["gate"]["passed"] else "FAILED"
        assert await page.inner_text("#gate-verdict") == verdict
        assert "Holm" in await page.inner_text("#gate-note")
        assert await page.inner_text("#cli-command") == (
            f"evalledger runs compare {base_run} {candidate_run} --json"
        )

        # The samples table (by exact, the first scorer): the regressed rows first, in the
        # CLI's order, then the improved, unchanged and missing ones.
        rows = await _rows(page)
        regressed = [s["sample_id"] for s in exact["regressed_samples"]]
        assert [s for s, o in rows[: len(regressed)]] == regressed
        assert sorted(regressed) == sorted(REGRESSED)
        assert [o for _, o in rows] == ["regressed"] * 5 + ["improved"] + ["unchanged"] * 5 + [
            "missing"
        ]
        assert rows[5] == [IMPROVED, "improved"] and rows[-1] == [NOT_RUN, "missing"]
        # Each sample's two outputs side by side; its input and target one click away.
        first = page.locator("#sample-table tr.sample").first
        q = int(regressed[0][1:])
        assert await first.locator("td.base-output pre").inner_text() == f"base says {q}"
        assert await first.locator("td.candidate-output pre").inner_text() == (
            f"candidate says {-q}"
        )
        detail = page.locator("#sample-table tr.sample-detail details").first
        await detail.locator("summary").click()
        assert await detail.locator("pre.target").inner_text() == f"answer {q}"
        missing = page.locator(f"#sample-table tr.sample[data-sample={NOT_RUN}]")
        absent = await missing.locator("td.candidate-output").inner_text()
        assert "Not in the candidate run" in absent
        await _shot(page, "compare", backend)

        # Ordered by judge, the largest drop comes first (the CLI's order again).
        await page.select_option("#sample-filters select[name=by]", "judge")
        await page.click("#sample-filters button[type=submit]")
        await page.wait_for_url("**by=judge**")
        judge = next(e for e in cli["comparison"]["scorers"] if e["scorer"] == "judge")
        by_judge = [s["sample_id"] for s in judge["regressed_samples"]]
        assert by_judge == sorted(REGRESSED, key=lambda s: -REGRESSED[s])
        assert [s for s, _ in (await _rows(page))[:5]] == by_judge

        # A count opens just those samples; pages of two walk the regressed ones.
        await page.goto(f"{base}/runs/compare?base={base_run}&candidate={candidate_run}")
        await page.click("#scorers tr[data-scorer=exact] td.count[data-outcome=regressed] a")
        await page.wait_for_url("**show=regressed**")
        assert [o for _, o in await _rows(page)] == ["regressed"] * 5
        await page.goto(page.url.split("#")[0] + "&limit=2")
        walked = [s for s, _ in await _rows(page)]
        while await page.locator("a[rel=next]").count():
            await page.locator("a[rel=next]").first.click()
            await page.wait_for_load_state()
            walked += [s for s, _ in await _rows(page)]
        assert walked == regressed
        assert "of 5 regressed" in await page.inner_text("#sample-count")

        # The CLI's --scorer, --alpha and --min-effect are the page's parameters.
        narrowed = await _cli_json(
            url, base_run, candidate_run, "--scorer", "judge", "--min-effect", "0.5"
        )
        await page.goto(
            f"{base}/runs/compare?base={base_run}&candidate={candidate_run}"
            "&scorer=judge&min_effect=0.5"
        )
        assert await page.locator("#scorers tbody tr[data-scorer]").count() == 1
        assert (
            int(await _figure(page, "judge", "n-pairs"))
            == narrowed["comparison"]["scorers"][0]["n_pairs"]
        )
        narrowed_verdict = "PASSED" if narrowed["gate"]["passed"] else "FAILED"
        assert await page.inner_text("#gate-verdict") == narrowed_verdict
        assert "plain paired test" in await page.inner_text("#gate-note")

        # A dataset change: the warning banner, and the gate refuses (unless allowed).
        await page.goto(f"{base}/runs/compare?base={base_run}&candidate={other_data}")
        banner = await page.inner_text("#dataset-changed")
        assert "d1" in banner and "d2" in banner
        assert await page.inner_text("#gate-verdict") == "REFUSED"
        await _shot(page, "compare-dataset-changed", backend)
        await page.click("#dataset-changed a")
        await page.wait_for_url("**allow_dataset_change=true**")
        assert await page.inner_text("#gate-verdict") in ("PASSED", "FAILED")

        # A scorer neither run used, or a bad alpha, is a notice, not an error page.
        answer = await page.goto(
            f"{base}/runs/compare?base={base_run}&candidate={candidate_run}&scorer=nope&alpha=7"
        )
        assert answer is not None and answer.status == 200
        notices = " ".join(await page.locator(".notice").all_inner_texts())
        assert "nope" in notices and "alpha" in notices
        assert await page.locator("#scorers tbody tr[data-scorer]").count() == 2

        # Bad ids: the HTML not-found page, naming which id.
        for query, named in (
            (f"base={base_run}&candidate={uuid.uuid4()}", "candidate"),
            (f"base=not-a-run&candidate={candidate_run}", "base"),
            (f"base={base_run}", "candidate"),
        ):
            answer = await page.goto(f"{base}/runs/compare?{query}")
            assert answer is not None and answer.status == 404, query
            assert answer.headers["content-type"].startswith("text/html")
            assert await page.inner_text("h1") == "Not found"
            assert named in await page.inner_text("p.error")
        assert violations == []
        await context.close()
