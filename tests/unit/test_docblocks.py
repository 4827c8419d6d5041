"""The docs test's reading of Markdown: which blocks exist, which run, which are skipped."""

from __future__ import annotations

import pytest

from tests.support.docblocks import DocFormatError, parse_blocks, with_server_url

DOC = """# Title

```bash
evalledger init
```

Some text.

<!-- docs-test: skip (needs a streaming replica) -->
```sh
pg_basebackup -h primary
```

1. In a list:

   ```python
   print("indented")
   ```

````text
```python
not a block of its own
```
````

```
untagged
```
"""


def test_blocks_languages_lines_and_skip_reasons() -> None:
    blocks = parse_blocks(DOC, "docs/x.md")
    assert [(b.index, b.lang, b.line, b.kind) for b in blocks] == [
        (1, "bash", 3, "shell"),
        (2, "sh", 10, "shell"),
        (3, "python", 16, "python"),
        (4, "text", 20, None),
        (5, "", 26, None),
    ]
    assert blocks[0].code == "evalledger init\n"
    assert blocks[0].skip_reason is None
    assert blocks[1].skip_reason == "needs a streaming replica"
    assert blocks[2].code == 'print("indented")\n'
    assert blocks[3].code == "```python\nnot a block of its own\n```\n"
    assert blocks[1].test_id == "docs/x.md#2-sh-L10"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```bash\necho never closed\n", "never closed"),
        ("<!-- docs-test: skip -->\n```bash\nx\n```\n", r"skip \(why it cannot run\)"),
        ("<!-- docs-test: skip (why) -->\ntext between\n```bash\nx\n```\n", "just before"),
        ("text\n<!-- docs-test: skip (why) -->\n", "without a code block"),
    ],
)
def test_ambiguous_docs_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(DocFormatError, match=message) as err:
        parse_blocks(text, "README.md")
    assert str(err.value).startswith("README.md:")


def test_the_docs_address_is_rewritten_to_the_test_server() -> None:
    code = "curl http://127.0.0.1:8000/health\nClient('http://localhost:8000/')\n"
    assert with_server_url(code, "http://127.0.0.1:40123") == (
        "curl http://127.0.0.1:40123/health\nClient('http://127.0.0.1:40123/')\n"
    )
