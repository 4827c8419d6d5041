"""The fenced code blocks of the user docs (README.md, docs/*.md), as the docs test runs them.

Which blocks run (``tests/integration/test_docs_run.py``):

* ```` ```bash ````, ```` ```sh ````, ```` ```shell ````: a bash script (``set -e -o pipefail``)
  against a fresh ``evalledger serve --no-auth`` on a fresh SQLite database;
* ```` ```python ````, ```` ```py ````: a standalone Python script, same database;
* anything else (```` ```text ````, ```` ```console ````, ```` ```json ````, ``yaml``,
  ``sql``, ``ini``, ``cron``, an untagged fence, ...) is an illustration and never runs.

A runnable block that must not run in CI (it needs a replica, PgBouncer, the benchmark
machine, or runs forever) carries one marker on the line just before its opening fence::

    <!-- docs-test: skip (needs a streaming replica) -->

The reason is required; it is what the test report shows. The marker is an HTML comment, so
readers of the rendered page never see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGS = frozenset({"bash", "sh", "shell"})
PYTHON_LANGS = frozenset({"python", "py"})
#: Languages that are illustrations by design; anything else is a likely typo.
ILLUSTRATION_LANGS = frozenset(
    {"", "text", "console", "json", "yaml", "yml", "sql", "ini", "cron", "markdown", "toml"}
)

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_SKIP = re.compile(r"^\s*<!--\s*docs-test:\s*skip\b(?P<rest>.*?)-->\s*$")
_REASON = re.compile(r"^\s*\((?P<reason>[^()]*\S[^()]*)\)\s*$")
_DOCS_URL = re.compile(r"http://(?:127\.0\.0\.1|localhost):8000")


class DocFormatError(ValueError):
    """A doc file the runner cannot read unambiguously (unclosed fence, bad marker)."""


@dataclass(frozen=True)
class DocBlock:
    path: str  # relative to the repository, e.g. "docs/operations.md"
    index: int  # 1-based position among the file's fenced blocks
    line: int  # line number of the opening fence
    lang: str  # first word of the info string, lowercased ("" when untagged)
    code: str
    skip_reason: str | None = None

    @property
    def kind(self) -> str | None:
        """``"shell"``, ``"python"``, or None for an illustration that never runs."""
        if self.lang in SHELL_LANGS:
            return "shell"
        if self.lang in PYTHON_LANGS:
            return "python"
        return None

    @property
    def test_id(self) -> str:
        return f"{self.path}#{self.index}-{self.lang or 'untagged'}-L{self.line}"


def parse_blocks(text: str, path: str) -> list[DocBlock]:
    """Every fenced code block of a Markdown text, in order, with its skip marker if any."""
    lines = text.splitlines()
    blocks: list[DocBlock] = []
    pending_skip: tuple[int, str] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _SKIP.match(line)
        if marker:
            reason = _REASON.match(marker.group("rest"))
            if reason is None:
                raise DocFormatError(
                    f"{path}:{i + 1}: write the skip marker as "
                    "'<!-- docs-test: skip (why it cannot run) -->'"
                )
            pending_skip = (i + 1, reason.group("reason").strip())
            i += 1
            continue
        opening = _FENCE.match(line)
        if opening is None:
            if pending_skip is not None and line.strip():
                raise DocFormatError(
                    f"{path}:{pending_skip[0]}: a docs-test skip marker must be on the line "
                    "just before a code block's opening fence"
                )
            i += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        info = opening.group("info").strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = _FENCE.match(lines[i])
            if (
                closing
                and closing.group("fence")[0] == fence[0]
                and len(closing.group("fence")) >= len(fence)
                and not closing.group("info").strip()
            ):
                break
            body.append(_dedent(lines[i], indent))
            i += 1
        else:
            raise DocFormatError(f"{path}:{start + 1}: code block is never closed")
        skip = pending_skip[1] if pending_skip is not None else None
        lang = info.split()[0].lower() if info else ""
        code = "\n".join(body) + "\n"
        blocks.append(DocBlock(path, len(blocks) + 1, start + 1, lang, code, skip))
        pending_skip = None
        i += 1
    if pending_skip is not None:
        raise DocFormatError(f"{path}:{pending_skip[0]}: skip marker without a code block")
    return blocks


def _dedent(line: str, indent: int) -> str:
    """Strip up to ``indent`` leading spaces (a fence inside a list item is indented)."""
    strip = len(line) - len(line.lstrip(" "))
    return line[min(strip, indent) :]


def with_server_url(code: str, base_url: str) -> str:
    """The block with the docs' server address (http://127.0.0.1:8000) replaced by the test
    server's, so the test never depends on port 8000 being free."""
    return _DOCS_URL.sub(base_url, code)


def uses_the_server(code: str) -> bool:
    return _DOCS_URL.search(code) is not None


def doc_files(root: Path) -> list[Path]:
    """The user docs: README.md, then docs/*.md in name order."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def read_blocks(root: Path) -> list[DocBlock]:
    blocks: list[DocBlock] = []
    for file in doc_files(root):
        rel = file.relative_to(root).as_posix()
        blocks.extend(parse_blocks(file.read_text(encoding="utf-8"), rel))
    return blocks
