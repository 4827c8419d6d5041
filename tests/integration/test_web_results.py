"""The dashboard's results explorer in a real headless Chromium, on both backends.

What a user would check by hand: a filter narrows the table to exactly the rows
``GET /api/v1/results`` returns for the same filter; "next" walks to the oldest result and
"previous" walks back; a result's detail opens and "back" scrolls to its row; the search box,
the event and claim pages, the HTML not-found page, unknown query parameters, the project
switcher and auto-refresh. Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from evalledger.db.types import utcnow
from evalledger.demo.generator import generate
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork
from tests.integration.test_web_dashboard import (  # noqa: F401 (browser is a fixture)
    _shot,
    browser,
    csp_violations,
    pytestmark,
    server,
)

#: Results of the probe agent: three full pages of ten and a part page.
PROBE_RESULTS = 27


async def _probe_results(ledger: Ledger) -> None:
    now = utcnow()
    await ledger.create_or_update_agent_metrics("probe")
    await ledger.record_custody_tests(
        [
            {
                "agent_type": "probe",
                "passed": i % 3 != 0,
                "score": 30 + 2 * i,
                "test_id": f"probe-case-{i:02d}",
                "test_category": "safety" if i % 2 else "reasoning",
                "agent_version": "v2" if i >= 14 else "v1",
                "tags": ["nightly"] if i % 4 else ["nightly", "smoke"],
                "timestamp": now - timedelta(hours=PROBE_RESULTS - i),
                "explainability_data": {"why": f"rule {i} fired"},
                "evaluation": {"judge": "strict", "case": i},
                "ai_responses": [{"turn": 1, "text": f"answer {i}"}],
            }
            for i in range(PROBE_RESULTS)
        ]
    )


async def _veterans(ledger: Ledger) -> None:
    """Two agents far up the levels: 1,070,000 XP wraps past the top level (a prestige)."""
    for name in ("veteran", "climber"):
        await ledger.create_or_update_agent_metrics(name)
    for awarded in ({"veteran": 1_000_000, "climber": 670_000}, {"veteran": 70_000}):
        await ledger.record_event(
            {"event_type": "grant", "participants": list(awarded), "xp_awarded": awarded}
        )


async def _other_project_key(ledger: Ledger) -> str:
    """A read key of a second project holding one agent, ``elsewhere``, with one result."""
    async with UnitOfWork(ledger.db, write=True, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, "second-team")
        created = await tenancy.create_key(uow, name="dash", scope="read", project="second-team")
    other = ledger.in_project(project.id)
    await other.create_or_update_agent_metrics("elsewhere")
    await other.record_custody_tests([{"agent_type": "elsewhere", "passed": True, "score": 77}])
    return created.secret


async def _table_ids(page: Any) -> list[str]:
    return list(
        await page.eval_on_selector_all(
            "#results tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)"
        )
    )


async def _api_ids(api: httpx.AsyncClient, **params: Any) -> list[str]:
    answer = await api.get("/api/v1/results", params=params)
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["items"]]


async def _api_walk(api: httpx.AsyncClient, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor: dict[str, str] = {}
    while True:
        answer = (await api.get("/api/v1/results", params={**params, **cursor})).json()
        ids += [r["id"] for r in answer["items"]]
        if answer["next_cursor"] is None:
            return ids
        cursor = {"cursor": answer["next_cursor"]}


async def test_results_explorer_in_chromium(
    ledger: Ledger,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    keys: list[str] = []
    await generate(ledger, "small", seed=5, on_key=keys.append)
    (read_key,) = keys
    await _probe_results(ledger)
    await _veterans(ledger)
    second_key = await _other_project_key(ledger)
    backend = ledger.db.dialect_name

    with server(ledger.settings.database_url, tmp_path) as base:
        api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {read_key}"})
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        violations = csp_violations(page)
        await page.goto(f"{base}/results")
        await page.fill("#key", read_key)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#results")
        assert page.url == f"{base}/results"

        # Unfiltered, the table is the API's first page.
        assert await _table_ids(page) == await _api_ids(api, limit=25)

        # The filter form: agent, passed, a score floor. The URL carries the filter (a
        # bookmark), and the rows are exactly the API's for the same query parameters.
        await page.select_option("select[name=agent]", "probe")
        await page.select_option("select[name=passed]", "true")
        await page.fill("input[name=min_score]", "50")
        await page.click("#filters button[type=submit]")
        await page.wait_for_url("**/results?**")
        assert "agent=probe" in page.url and "passed=true" in page.url
        narrowed = await _table_ids(page)
        expected = await _api_ids(api, agent="probe", passed="true", min_score=50, limit=25)
        assert narrowed == expected and 0 < len(narrowed) < PROBE_RESULTS
        scores = [float(s) for s in await page.locator("#results td.score").all_inner_texts()]
        assert min(scores) >= 50
        await _shot(page, "results-filtered", backend)

        # Repeated tags and a version, straight from a bookmarked URL.
        await page.goto(f"{base}/results?agent=probe&tag=nightly&tag=smoke&agent_version=v1")
        assert await _table_ids(page) == await _api_ids(
            api, agent="probe", tag=["nightly", "smoke"], agent_version="v1", limit=25
        )

        # Pages of ten: "next" reaches the oldest result; "previous" walks back.
        await page.goto(f"{base}/results?agent=probe&limit=10")
        walked = await _table_ids(page)
        assert await page.locator("a[rel=prev]").count() == 0
        while await page.locator("a[rel=next]").count():
            await page.click("a[rel=next]")
            await page.wait_for_load_state()
            walked += await _table_ids(page)
        all_probe = await _api_walk(api, agent="probe", limit=10)
        assert walked == all_probe and len(walked) == PROBE_RESULTS
        oldest = await _api_ids(api, agent="probe", order="asc", limit=1)
        assert walked[-1] == oldest[0]
        back: list[str] = []
        while await page.locator("a[rel=prev]").count():
            await page.click("a[rel=prev]")
            await page.wait_for_load_state()
            back = await _table_ids(page) + back
        assert await _table_ids(page) == all_probe[:10]
        # "last" jumps straight to the page holding the oldest result.
        await page.click("a[rel=last]")
        await page.wait_for_load_state()
        last_page = await _table_ids(page)
        assert last_page == all_probe[-len(last_page) :] and last_page[-1] == oldest[0]
        await page.click("a[rel=prev]")
        await page.wait_for_load_state()
        assert await _table_ids(page) == all_probe[-len(last_page) - 10 : -len(last_page)]
        await _shot(page, "results-paged", backend)

        # Sorted by score, lowest first: the API's order too.
        await page.goto(f"{base}/results?agent=probe&sort=score&order=asc&limit=10")
        assert await _table_ids(page) == await _api_ids(
            api, agent="probe", sort="score", order="asc", limit=10
        )

        # A result's detail: its explainability data, evaluation and responses.
        await page.goto(f"{base}/results?agent=probe&limit=10")
        second_row = (await _table_ids(page))[1]
        await page.click(f"#r-{second_row} td:first-child a")
        await page.wait_for_selector("#explainability")
        detail = (await api.get("/api/v1/results", params={"agent": "probe", "limit": 2})).json()
        chosen = detail["items"][1]
        assert chosen["id"] == second_row
        assert chosen["explainability_data"]["why"] in await page.inner_text("#explainability")
        assert '"judge": "strict"' in await page.inner_text("#evaluation")
        assert chosen["ai_responses"][0]["text"] in await page.inner_text("#responses")
        await _shot(page, "result-detail", backend)
        # "Back" returns to the same page of results, scrolled to the row that was opened.
        await page.click("#back")
        await page.wait_for_selector("#results")
        assert page.url.endswith(f"#r-{second_row}")
        assert await page.evaluate("document.querySelector(':target').id") == f"r-{second_row}"

        # Search narrows by test id (and the other text fields).
        await page.fill("input[name=q]", "probe-case-07")
        await page.click("#filters button[type=submit]")
        await page.wait_for_url("**q=probe-case-07**")
        (found,) = await _table_ids(page)
        assert found in all_probe

        # An unknown or unreadable query parameter is a notice on the page, not a JSON 422.
        answer = await page.goto(f"{base}/results?agent=probe&colour=blue&min_score=lots")
        assert answer is not None and answer.status == 200
        notices = " ".join(await page.locator(".notice").all_inner_texts())
        assert "colour" in notices and "min_score" in notices
        assert await _table_ids(page) == await _api_ids(api, agent="probe", limit=25)
        for path in ("/", "/agents/probe", "/events", "/assessments", "/verification", "/status"):
            answer = await page.goto(f"{base}{path}?nonsense=1&range=1y")
            assert answer is not None and answer.status == 200, path
            assert "nonsense" in " ".join(await page.locator(".notice").all_inner_texts())

        # Events and claims have pages of their own; a missing one is the HTML not-found.
        await page.goto(f"{base}/events")
        first_event = await page.get_attribute("#events tbody tr:first-child", "id")
        await page.click("#events tbody tr:first-child td:first-child a")
        await page.wait_for_selector("#participants")
        event_id = page.url.rsplit("/", 1)[1]
        assert first_event == f"e-{event_id}"
        api_event = (await api.get(f"/api/v1/events/{event_id}")).json()
        assert await page.locator("#participants tbody tr").count() == len(
            api_event["participants"]
        )
        await _shot(page, "event", backend)
        await page.goto(f"{base}/verification")
        await page.click("#claims tbody tr:first-child a")
        await page.wait_for_selector("#verifications")
        await _shot(page, "claim", backend)
        for missing in (f"/events/{uuid.uuid4()}", "/verification/no-such-claim", "/results/x"):
            answer = await page.goto(f"{base}{missing}")
            assert answer is not None and answer.status == 404
            assert answer.headers["content-type"].startswith("text/html")
            assert await page.inner_text("h1") == "Not found"

        # The leaderboard: prestige with level, the API's bootstrap rounds and its order.
        await page.goto(f"{base}/")
        board = (await api.get("/api/v1/leaderboard", params={"method": "elo"})).json()
        agents = {
            e["agent_type"]: (await api.get(f"/api/agent-metrics/{e['agent_type']}")).json()[
                "metrics"
            ]
            for e in board["entries"]
        }
        heading = await page.inner_text("#leaderboard >> xpath=preceding-sibling::h2[1]")
        assert f"({board['rounds']} rounds" in heading
        levels = await page.locator("#leaderboard td.level").all_inner_texts()
        assert levels == [
            f"P{agents[e['agent_type']]['prestige']} · L{agents[e['agent_type']]['level']}"
            for e in board["entries"]
        ]
        # Ranked by XP, the prestige shows: P2 · L4 (1,070,000 XP) above P1 · L32 (670,000).
        await page.click("nav.ranges a:text-is('XP')")
        await page.wait_for_url("**method=xp**")
        by_xp = (await api.get("/api/v1/leaderboard", params={"method": "xp"})).json()
        names = await page.eval_on_selector_all(
            "#leaderboard tbody tr", "rows => rows.map(r => r.dataset.agent)"
        )
        assert names == [e["agent_type"] for e in by_xp["entries"]]
        assert names[:2] == ["veteran", "climber"]
        levels = await page.locator("#leaderboard td.level").all_inner_texts()
        assert levels[:2] == ["P2 · L4", "P1 · L32"]
        await _shot(page, "leaderboard-xp", backend)
        await page.goto(f"{base}/")

        # Recent results are in time order, newest first.
        stamps = await page.eval_on_selector_all(
            "#recent time", "ts => ts.map(t => t.getAttribute('datetime'))"
        )
        assert stamps == sorted(stamps, reverse=True) and stamps

        # The agent page compares versions with their intervals.
        await page.goto(f"{base}/agents/probe?range=all")
        assert await page.locator("svg.compare-pass g.group").count() == 2
        assert await page.locator("#groups tbody tr").count() == 2
        await _shot(page, "agent-compare", backend)

        # Opt-in auto-refresh: a meta refresh only when asked for.
        assert await page.locator("meta[http-equiv=refresh]").count() == 0
        async with page.expect_navigation() as refreshed:
            await page.click("header a.refresh")
        answer = await refreshed.value
        assert answer is not None and answer.status == 200 and "refresh=30" in page.url
        assert await page.get_attribute("meta[http-equiv=refresh]", "content") == "30"
        assert await page.locator("#groups tbody tr").count() == 2  # the same page, refreshing
        # Links keep refreshing, until "stop".
        assert "refresh=30" in str(await page.get_attribute("a[href*='group_by=tag']", "href"))
        await page.click("header a.refresh.on")
        await page.wait_for_selector("#groups")
        assert await page.locator("meta[http-equiv=refresh]").count() == 0

        # A second project's key joins the session; the switcher moves between the two.
        await page.goto(f"{base}/sign-in?next=/results")
        await page.fill("#key", second_key)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#results")
        assert await page.locator("#results td:nth-child(2)").all_inner_texts() == ["elsewhere"]
        options = await page.locator("#project option").all_inner_texts()
        assert "second-team" in options and len(options) == 2
        first_project = next(o for o in options if o != "second-team")
        await page.select_option("#project", label=first_project)
        await page.click("form.projects button")
        await page.wait_for_selector("#results")
        assert await _table_ids(page) == await _api_ids(api, limit=25)
        await _shot(page, "project-switcher", backend)
        assert violations == []
        await context.close()
        await api.aclose()
