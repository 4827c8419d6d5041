"""The web dashboard in a real headless Chromium against a real server process.

Chromium is Debian's ``chromium`` package (``/usr/bin/chromium``, installed by ``.ci/run``),
driven by Playwright for Python; ``playwright install`` is never needed. A screenshot of every
page is saved under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from evalledger.db.types import utcnow
from evalledger.demo.generator import generate
from evalledger.ops import backup
from evalledger.sdk.ledger import Ledger
from tests.integration.test_server_and_clients import _env
from tests.support.pgcluster import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium package (.ci/run installs it)"
)


@contextmanager
def server(database_url: str, backups_dir: Path, *args: str) -> Iterator[str]:
    port = free_port()
    env = _env(
        EVALLEDGER_DATABASE_URL=database_url,
        EVALLEDGER_LOG_LEVEL="warning",
        EVALLEDGER_BACKUPS_DIR=str(backups_dir),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalledger.cli.main", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"server exited with {proc.returncode}"
            try:
                # 503 is an answer too: the demo data holds a stale heartbeat on purpose.
                if httpx.get(f"{base}/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not become healthy in 30 s"
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


def csp_violations(page: Any) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on ``page`` (filled as it runs):
    the pages must satisfy their policy, so a test asserts it stays empty."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return violations


async def _shot(page: object, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{backend}-{name}.png"), full_page=True)  # type: ignore[attr-defined]


async def test_dashboard_in_chromium(ledger: Ledger, browser: object, tmp_path: Path) -> None:
    keys: list[str] = []
    await generate(ledger, "small", seed=3, on_key=keys.append)
    (read_key,) = keys
    # An agent whose history we know: results on three distinct UTC days.
    now = utcnow()
    await ledger.create_or_update_agent_metrics("probe")
    await ledger.record_custody_tests(
        [
            {
                "agent_type": "probe",
                "passed": True,
                "score": 90,
                "timestamp": now - timedelta(days=2),
            },
            {
                "agent_type": "probe",
                "passed": False,
                "score": 40,
                "timestamp": now - timedelta(days=2),
            },
            {
                "agent_type": "probe",
                "passed": False,
                "score": 50,
                "timestamp": now - timedelta(days=2),
            },
            {
                "agent_type": "probe",
                "passed": True,
                "score": 75,
                "timestamp": now - timedelta(days=1),
            },
            {"agent_type": "probe", "passed": True, "score": 80, "timestamp": now},
        ]
    )
    backups_dir = tmp_path / "backups"
    made = await backup.create(ledger.db, backups_dir)
    backend = ledger.db.dialect_name

    with server(ledger.settings.database_url, backups_dir) as base:
        api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {read_key}"})
        board = (await api.get("/api/v1/leaderboard", params={"method": "elo"})).json()
        context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = await context.new_page()
        violations = csp_violations(page)

        # Signed out: the overview sends you to the sign-in page; a wrong key is refused.
        await page.goto(f"{base}/")
        assert "/sign-in" in page.url
        await page.fill("#key", "evl_0000_not-a-key")
        await page.click("button[type=submit]")
        assert "unknown API key" in await page.inner_text("[role=alert]")
        await _shot(page, "sign-in", backend)
        await page.fill("#key", read_key)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#leaderboard")
        assert page.url == f"{base}/"

        # The session cookie holds the key out of JavaScript's reach, same-site only.
        (cookie,) = [c for c in await context.cookies() if c["name"] == "evalledger_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        # Leaderboard rows match the API's leaderboard: order, prestige and level, XP, pass rate.
        rows = await page.eval_on_selector_all(
            "#leaderboard tbody tr",
            "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
        )
        expected = [
            [
                str(e["rank"]),
                e["agent_type"],
                f"P0 · L{e['level']}",  # the demo's agents are all below the first prestige
                f"{e['xp']:,}",
                f"{100 * e['pass_rate']:.1f}%",
            ]
            for e in board["entries"]
        ]
        assert [r[:5] for r in rows] == expected
        assert {"guardian", "probe", "sandbox"} <= {r[1] for r in rows}
        # The pass-rate bars are drawn (SVG widths, not the inline styles the CSP blocks).
        widths = await page.eval_on_selector_all(
            "#leaderboard td.pass-rate svg.bar rect.fill",
            "rects => rects.map(r => r.getBoundingClientRect().width)",
        )
        assert len(widths) == len(expected) and max(widths) > 0
        await _shot(page, "overview", backend)

        # Open an agent from the leaderboard: one chart point per day with results.
        await page.click("#leaderboard a:text-is('probe')")
        await page.wait_for_selector("svg.score-chart")
        assert page.url == f"{base}/agents/probe"
        assert await page.locator("svg.score-chart circle.point").count() == 3
        # Mostly failed that day: the first point (mean 60) is a red one.
        assert await page.locator("svg.score-chart circle.point.fail").count() == 1
        assert await page.text_content("svg.score-chart circle.point.fail title") == (
            f"{(now - timedelta(days=2)).date().isoformat()}: 60.0"
        )
        assert await page.locator("svg.xp-chart circle.point").count() == 3
        assert await page.locator("#history tbody tr").count() == 5
        await _shot(page, "agent-probe", backend)
        await page.goto(f"{base}/agents/guardian")
        assert await page.locator("svg.score-chart circle.point").count() >= 1
        await _shot(page, "agent-guardian", backend)

        # Events: one row per event (first page), winners shown.
        await page.click("nav a:text-is('Events')")
        await page.wait_for_selector("#events")
        events = (await api.get("/api/v1/events", params={"limit": 25})).json()
        assert await page.locator("#events tbody tr").count() == len(events["items"])
        first_winners = ", ".join(events["items"][0]["winners"]) or "—"
        assert await page.inner_text("#events tbody tr:first-child td.winners") == first_winners
        await _shot(page, "events", backend)

        # Assessments: distributions, then one student's assessment and its evidence.
        await page.click("nav a:text-is('Assessments')")
        await page.wait_for_selector("#skills")
        assert await page.locator("#skills tbody tr").count() >= 3
        await page.click("#students tbody tr:first-child a")
        await page.wait_for_selector("#student-assessments")
        await page.click("#student-assessments tbody tr:first-child a")
        await page.wait_for_selector("#evidence")
        assessment_id = re.search(r"assessment=([0-9a-f-]{36})", page.url)
        assert assessment_id is not None
        detail = (await api.get(f"/api/v1/assessments/{assessment_id.group(1)}")).json()
        assert await page.locator("#evidence tbody tr").count() == len(detail["evidence"])
        await _shot(page, "assessments", backend)

        # Verification: claims with their consensus.
        await page.click("nav a:text-is('Verification')")
        await page.wait_for_selector("#claims")
        claims = (await api.get("/api/v1/claims", params={"limit": 25})).json()
        assert await page.locator("#claims tbody tr").count() == len(claims["items"])
        assert await page.locator("#claims .tag").count() >= 1
        await _shot(page, "verification", backend)

        # Health: the /health facts and the backup list.
        await page.click("nav a:text-is('Health')")
        await page.wait_for_selector("#backups")
        assert made.name in await page.inner_text("#backups")
        assert "worker-2" in await page.inner_text("#stale")  # the demo's stale heartbeat
        await _shot(page, "health", backend)

        # Signing out clears the cookie: the pages want a key again.
        await page.click("form.signout button")
        await page.wait_for_url(re.compile(r".*/sign-in.*"))
        assert not [c for c in await context.cookies() if c["name"] == "evalledger_session"]
        await page.goto(f"{base}/events")
        assert "/sign-in" in page.url
        assert violations == []

        # Login CSRF: a page on another origin posts its own key to the sign-in form. The
        # browser follows, and gets a 403 and no session.
        attacker = await context.new_page()
        await attacker.set_content(
            f'<form method="post" action="{base}/sign-in">'
            f'<input name="key" value="{read_key}"><input name="next" value="/"></form>'
        )
        async with attacker.expect_navigation() as navigation:
            await attacker.eval_on_selector("form", "f => f.submit()")
        refused = await navigation.value
        assert refused is not None and refused.status == 403
        assert not [c for c in await context.cookies() if c["name"] == "evalledger_session"]
        await context.close()
        await api.aclose()


async def test_no_auth_on_loopback_needs_no_sign_in(
    ledger: Ledger, browser: object, tmp_path: Path
) -> None:
    await ledger.seed_default_agents()
    with server(ledger.settings.database_url, tmp_path, "--no-auth") as base:
        page = await browser.new_page()  # type: ignore[attr-defined]
        await page.goto(f"{base}/")
        assert page.url == f"{base}/"
        assert await page.locator("#leaderboard tbody tr").count() == 4
        assert await page.locator("form.signout").count() == 0
        await page.close()
