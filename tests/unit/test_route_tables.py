"""The route tables of README.md and docs/api.md are what the server serves."""

from __future__ import annotations

from pathlib import Path

from evalledger.api import reference

ROOT = Path(__file__).resolve().parents[2]


def test_route_tables_are_current() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, content in reference.targets(ROOT).items()
        if not path.exists() or path.read_text(encoding="utf-8") != content
    ]
    assert not stale, f"regenerate with `python -m evalledger.api.reference`: {stale}"


def test_a_table_lists_each_route_with_its_scope_and_method() -> None:
    spec = reference.served_spec()
    rows = reference.rows(spec, ("/api/v1/frameworks/executions/{execution_id}",))
    assert "| GET | `/api/v1/frameworks/executions/{execution_id}` | read |" in rows[0]
    assert "`get_execution`" in rows[0]
    assert reference.rows(spec, ("/health",))[0].startswith("| GET | `/health` | none |")
