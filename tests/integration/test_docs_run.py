"""Every runnable code block of README.md and docs/*.md runs as written.

Shell blocks run against a fresh ``evalledger serve --no-auth`` on a fresh SQLite database,
Python blocks as standalone scripts on the same database; a doc file's blocks run in order in
one working directory, so a doc builds its state step by step as a reader would
(:mod:`tests.support.docrunner`). Which blocks run, and the skip marker for the few that
cannot run here, are described in :mod:`tests.support.docblocks`.

Each block is its own test case, named ``<file>#<n>-<lang>-L<line>``; selecting one block
(``-k 'verification.md#5'``) first runs the file's earlier blocks, which it builds on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.docblocks import ILLUSTRATION_LANGS, DocBlock, read_blocks, uses_the_server
from tests.support.docrunner import DocSessions, describe_failure

ROOT = Path(__file__).resolve().parents[2]
ALL_BLOCKS = read_blocks(ROOT)
RUNNABLE = [b for b in ALL_BLOCKS if b.kind is not None]
FILES_USING_THE_SERVER = {b.path for b in RUNNABLE if uses_the_server(b.code)}


@pytest.fixture(scope="module")
def doc_sessions() -> Iterator[DocSessions]:
    sessions = DocSessions()
    try:
        yield sessions
    finally:
        sessions.close()


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.test_id for b in RUNNABLE])
def test_doc_block_runs(block: DocBlock, doc_sessions: DocSessions) -> None:
    if block.skip_reason:
        pytest.skip(f"{block.path}:{block.line}: {block.skip_reason}")
    env = doc_sessions.for_file(block.path, with_server=block.path in FILES_USING_THE_SERVER)
    for earlier in RUNNABLE:
        if (
            earlier.path == block.path
            and earlier.index < block.index
            and not earlier.skip_reason
            and earlier.index not in env.ran
        ):
            prerequisite = env.run(earlier)
            assert prerequisite.ok, "an earlier block of the file failed:\n" + (
                describe_failure(earlier, prerequisite)
            )
    result = env.run(block)
    assert result.ok, describe_failure(block, result) + f"\n--- server log ---\n{env.server_log()}"


def test_every_block_is_either_run_or_an_illustration() -> None:
    """A misspelt language (```pyhton) would silently never run: name it here instead."""
    unknown = [
        f"{b.path}:{b.line}: ```{b.lang}"
        for b in ALL_BLOCKS
        if b.kind is None and b.lang not in ILLUSTRATION_LANGS
    ]
    assert not unknown, "unknown code block languages (add to ILLUSTRATION_LANGS?): " + ", ".join(
        unknown
    )


def test_the_docs_have_runnable_blocks_in_every_file() -> None:
    """Guards the parser itself: if it found nothing, every case above would vanish."""
    files = {b.path for b in RUNNABLE if not b.skip_reason}
    assert {"README.md", "docs/verification.md", "docs/competitions.md"} <= files
