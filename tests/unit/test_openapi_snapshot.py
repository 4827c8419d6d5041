"""The REST contract does not change by accident (see tests/support/openapi_snapshot.py)."""

from __future__ import annotations

from tests.support import openapi_snapshot


def test_the_served_openapi_matches_the_stored_snapshot() -> None:
    changes = openapi_snapshot.diff()
    assert not changes, (
        "the OpenAPI document changed; if deliberate, run "
        "`.venv/bin/python -m tests.support.openapi_snapshot` and commit the snapshot\n"
        + changes[:6000]
    )
