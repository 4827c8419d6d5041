"""The dashboard's browser-facing defences, checked over HTTP (no browser needed).

Security headers on every dashboard response (and the safe ones on the API), and the
cross-site request forgery checks on the dashboard's forms: a sign-in posted from another
site must not sign the victim's browser into the attacker's project.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key

BASE = "http://dash.test"
SESSION = "evalledger_session"


@pytest.fixture
async def web(seeded: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(seeded.settings, ledger=seeded)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def _form_token(web: httpx.AsyncClient, path: str = "/sign-in") -> str:
    page = await web.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


async def _sign_in(seeded: Ledger, web: httpx.AsyncClient) -> httpx.Response:
    """Sign in through the form with a new read key, as the dashboard's own page does."""
    key = await make_key(seeded, "read")
    token = await _form_token(web)
    return await web.post(
        "/sign-in", data={"key": key, "next": "/", "csrf": token}, headers={"Origin": BASE}
    )


def _sets_session(response: httpx.Response) -> bool:
    return any(
        h.startswith(f"{SESSION}=") and not h.startswith(f'{SESSION}=""')
        for h in response.headers.get_list("set-cookie")
    )


async def test_every_dashboard_page_sends_the_security_headers(
    seeded: Ledger, web: httpx.AsyncClient
) -> None:
    signed_in = await _sign_in(seeded, web)
    assert signed_in.status_code == 303
    for path in (
        "/sign-in",
        "/",
        "/events",
        "/assessments",
        "/verification",
        "/status",
        "/runs",
        "/runs/00000000-0000-0000-0000-000000000000",
        "/runs/compare?base=00000000-0000-0000-0000-000000000000&candidate=x",
        "/agents/guardian",
        "/agents/nobody",
        "/static/dashboard.css",
    ):
        r = await web.get(path)
        assert r.status_code in (200, 404), path
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert "script-src" not in csp and "unsafe-inline" not in csp, path
        assert "style-src 'self'" in csp and "form-action 'self'" in csp, path
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("referrer-policy") == "same-origin", path
        # The pages satisfy the policy: no inline style or script anywhere.
        assert not re.search(r"<script|\sstyle=|\son[a-z]+=", r.text, re.I), path


async def test_api_and_docs_answers_are_not_sniffed_or_framed(web: httpx.AsyncClient) -> None:
    health = await web.get("/health")
    assert health.headers.get("x-content-type-options") == "nosniff"
    assert health.headers.get("referrer-policy") == "same-origin"
    assert "frame-ancestors 'none'" in health.headers.get("content-security-policy", "")
    docs = await web.get("/docs")
    assert docs.status_code == 200
    # Swagger UI runs an inline script: the docs page gets no script-blocking policy.
    assert "default-src" not in docs.headers.get("content-security-policy", "")
    assert docs.headers.get("x-frame-options") == "DENY"


async def test_a_cross_site_sign_in_is_refused_and_sets_no_session(
    seeded: Ledger, web: httpx.AsyncClient
) -> None:
    attacker_key = await make_key(seeded, "read")
    token = await _form_token(web)  # even with a valid token (cookie and field)
    for origin in ("https://evil.example", "null", "http://dash.test.evil.example"):
        r = await web.post(
            "/sign-in",
            data={"key": attacker_key, "next": "/", "csrf": token},
            headers={"Origin": origin},
        )
        assert r.status_code == 403, origin
        assert not _sets_session(r), origin
    # No Origin, a Referer from elsewhere.
    r = await web.post(
        "/sign-in",
        data={"key": attacker_key, "next": "/", "csrf": token},
        headers={"Referer": "https://evil.example/page"},
    )
    assert r.status_code == 403 and not _sets_session(r)


async def test_a_sign_in_without_origin_needs_the_token(
    seeded: Ledger, web: httpx.AsyncClient
) -> None:
    key = await make_key(seeded, "read")
    # A fresh client: no CSRF cookie, no token, no Origin (an old browser, or a forged form).
    r = await web.post("/sign-in", data={"key": key, "next": "/"})
    assert r.status_code == 403 and not _sets_session(r)
    token = await _form_token(web)
    r = await web.post("/sign-in", data={"key": key, "next": "/", "csrf": "x" + token})
    assert r.status_code == 403 and not _sets_session(r)
    r = await web.post("/sign-in", data={"key": key, "next": "/events", "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/events"
    assert _sets_session(r)


async def test_the_same_origin_form_flow_signs_in_and_out(
    seeded: Ledger, web: httpx.AsyncClient
) -> None:
    r = await _sign_in(seeded, web)
    assert r.status_code == 303 and _sets_session(r)
    cookies = r.headers.get_list("set-cookie")
    assert any("samesite=strict" in c.lower() and "httponly" in c.lower() for c in cookies)
    overview = await web.get("/")
    assert overview.status_code == 200
    sign_out_token = re.search(r'name="csrf" value="([^"]+)"', overview.text)
    assert sign_out_token, "the sign-out form carries the token"

    # Sign-out from another site is refused: the session stays.
    r = await web.post(
        "/sign-out",
        data={"csrf": sign_out_token.group(1)},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert (await web.get("/")).status_code == 200

    r = await web.post(
        "/sign-out", data={"csrf": sign_out_token.group(1)}, headers={"Origin": BASE}
    )
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"
    assert (await web.get("/")).status_code == 303  # signed out: back to the sign-in page
