"""The pure rules a restore decides by: complete manifests, member lists, revisions."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from evalledger.db.migrate import head_revision
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.ops import manifest as manifests
from evalledger.ops.restore import Target, check_members, needs_migration
from evalledger.ops.schema_at import shapes_at

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def complete(revision: str) -> dict[str, Any]:
    tables = {s.name: {"rows": 0, "sha256": EMPTY_SHA} for s in shapes_at(revision)}
    return {"format_version": 1, "schema_revision": revision, "tables": tables}


def test_a_complete_manifest_gives_its_revisions_tables() -> None:
    shapes = manifests.checked(complete("0003"), "b.zip")
    names = [s.name for s in shapes]
    assert "students" in names and "claims" not in names
    assert names.index("projects") < names.index("students"), "parents first"


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda m: {}, "no 'format_version'"),
        (lambda m: {**m, "tables": {}}, "lists no table"),
        (lambda m: {**m, "tables": []}, "not an object"),
        (lambda m: {**m, "format_version": 2}, "manifest format 2"),
        (lambda m: {**m, "schema_revision": "zz"}, "'zz' is unknown"),
        (lambda m: {**m, "tables": {**m["tables"], "x": m["tables"]["projects"]}}, "table(s) x"),
        (
            lambda m: {**m, "tables": {k: v for k, v in m["tables"].items() if k != "projects"}},
            "lacks table(s) projects",
        ),
        (
            lambda m: {**m, "tables": {**m["tables"], "projects": {"rows": True}}},
            "projects no valid row count",
        ),
        (
            lambda m: {**m, "tables": {**m["tables"], "projects": {"rows": 1, "sha256": "x"}}},
            "projects no valid SHA-256",
        ),
    ],
)
def test_an_incomplete_manifest_is_refused_in_one_line(edit: Any, words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        manifests.checked(edit(complete(head_revision())), "b.zip")
    assert words in refused.value.message and "\n" not in refused.value.message
    assert refused.value.message.startswith("b.zip: ")
    assert refused.value.message.endswith("refused, nothing written")


def test_member_lists() -> None:
    shapes = shapes_at("0001")
    members = ["manifest.json", *(f"tables/{s.name}.jsonl" for s in shapes)]
    assert check_members(members, shapes) is None
    assert "more than once" in str(check_members([*members, members[1]], shapes))
    assert "tables/x.jsonl, which its manifest does not list" in str(
        check_members([*members, "tables/x.jsonl"], shapes)
    )
    assert f"lacks {members[1]}" in str(check_members(members[:1] + members[2:], shapes))


def test_revision_decisions() -> None:
    head = head_revision()
    assert needs_migration(head, Target(head, 5), force=True) is False
    assert needs_migration("0003", Target(None, 0), force=False) is True
    assert needs_migration("0003", Target(head, 0), force=False) is True
    with pytest.raises(ConflictError, match="--force"):
        needs_migration(head, Target(head, 5), force=False)
    with pytest.raises(ConflictError, match="evalledger db downgrade 0003"):
        needs_migration("0003", Target(head, 5), force=True)
    with pytest.raises(ConflictError, match=f"evalledger db upgrade {head}"):
        needs_migration(head, Target("0003", 5), force=True)
