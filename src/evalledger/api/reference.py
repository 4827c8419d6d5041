"""The route tables of the docs, generated from the served OpenAPI document.

The OpenAPI document is itself generated from the operation declarations, so these tables
come from the same single source as the routes, the Ledger and the Client:

    python -m evalledger.api.reference    # rewrite docs/api.md and the marked README tables

A table in a Markdown file is a block between ``<!-- routes: PREFIX [PREFIX ...] -->`` and
``<!-- /routes -->``; it lists the routes whose path starts with one of the prefixes.
``tests/unit/test_route_tables.py`` fails when a table is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")
_BLOCK = re.compile(r"(<!-- routes: ([^>]*?) -->\n)(.*?)(<!-- /routes -->)", re.S)


def served_spec() -> dict[str, Any]:
    from evalledger.api.app import create_app
    from evalledger.config import load_settings

    return create_app(load_settings(database_url="sqlite://")).openapi()


def _sdk_methods() -> set[str]:
    from evalledger import Ledger

    return {name for name in dir(Ledger) if not name.startswith("_")}


def _what(operation: dict[str, Any]) -> str:
    """The description's first sentence when there is one, else the summary."""
    text = (operation.get("description") or "").strip()
    first = re.split(r"(?<=[.!?])\s|\n\n", text, maxsplit=1)[0].strip() if text else ""
    return (first or operation.get("summary") or "").replace("|", "\\|").replace("\n", " ")


def _scope(operation: dict[str, Any]) -> str:
    for requirement in operation.get("security") or []:
        scopes = requirement.get("bearer")
        if scopes:
            return ", ".join(scopes)
    return "none" if "security" not in operation else "any key"


def rows(spec: dict[str, Any], prefixes: tuple[str, ...] = ("/",)) -> list[str]:
    methods = _sdk_methods()
    out = []
    for path, item in spec.get("paths", {}).items():
        if not path.startswith(prefixes):
            continue
        for verb in _METHODS:
            operation = item.get(verb)
            if operation is None:
                continue
            name = operation.get("operationId", "")
            sdk = f"`{name}`" if name in methods else "-"
            out.append(
                f"| {verb.upper()} | `{path}` | {_scope(operation)} | {sdk} | {_what(operation)} |"
            )
    return out


HEADER = ["| method | path | scope | SDK method | what |", "|---|---|---|---|---|"]


def table(spec: dict[str, Any], prefixes: tuple[str, ...]) -> str:
    return "\n".join([*HEADER, *rows(spec, prefixes)]) + "\n"


def api_reference(spec: dict[str, Any]) -> str:
    sections: dict[str, list[str]] = {}
    for path in spec.get("paths", {}):
        parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
        head = (parts[0] if parts else "/").split(":")[0]
        sections.setdefault(head, []).append(path)
    lines = [
        "# REST API reference",
        "",
        "Generated from the served OpenAPI document (`python -m evalledger.api.reference`);",
        "do not edit by hand. *scope* is the API key scope a route needs (`none`: no key);",
        "*SDK method* is the method of `Ledger`, `Client` and `SyncClient` that does the same.",
        "The full schemas are in the OpenAPI document at `/openapi.json` and on `/docs`.",
        "",
    ]
    for head, paths in sections.items():
        lines += [f"## {head}", "", *HEADER]
        for path in paths:
            lines += rows({"paths": {path: spec["paths"][path]}}, (path,))
        lines.append("")
    return "\n".join(lines)


def refresh(text: str, spec: dict[str, Any]) -> str:
    """``text`` with every marked route table regenerated."""

    def fill(match: re.Match[str]) -> str:
        prefixes = tuple(match.group(2).split())
        return match.group(1) + table(spec, prefixes) + match.group(4)

    return _BLOCK.sub(fill, text)


def targets(root: Path) -> dict[Path, str]:
    """Each generated file and what it should contain now."""
    spec = served_spec()
    out = {root / "docs" / "api.md": api_reference(spec)}
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        if doc.name == "api.md":
            continue
        text = doc.read_text(encoding="utf-8")
        if _BLOCK.search(text):
            out[doc] = refresh(text, spec)
    return out


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for path, content in targets(root).items():
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path}")
