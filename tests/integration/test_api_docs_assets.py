"""``/docs`` and ``/redoc`` load nothing from another origin, so they work offline."""

from __future__ import annotations

import re

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.sdk.ledger import Ledger

EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_use_only_same_origin_assets(seeded: Ledger, page: str) -> None:
    app = create_app(seeded.settings, ledger=seeded)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        r = await http.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", r.text), "off-site URL"
        urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert any(u.endswith(".js") for u in urls), urls
        for url in urls:
            assert url.startswith("/"), url
            asset = await http.get(url)
            assert asset.status_code == 200, url
            expected = next(t for ext, t in EXPECTED_TYPES.items() if url.endswith(ext))
            assert expected in asset.headers["content-type"], (url, asset.headers)
            assert len(asset.content) > 1000, url
        spec = await http.get("/openapi.json")
        assert spec.status_code == 200 and "/docs" not in spec.json()["paths"]
