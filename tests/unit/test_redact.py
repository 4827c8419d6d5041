"""Database passwords never appear in a message, whether or not the URL parses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evalledger.config import ConfigError, Settings, load_settings
from evalledger.redact import redact, redact_url

PASSWORD = "s3cretPW"

#: Well-formed, malformed and half-formed URLs a user might paste, each holding PASSWORD.
URLS = [
    f"postgresql://app:{PASSWORD}@db.internal:5432/ledger",
    f"postgresql+asyncpg://app:{PASSWORD}@[::1]:5432/ledger?sslmode=require",
    f"postgresql://app:{PASSWORD}/ledger",  # no @: a parser reads the password as a port
    f"postgresql//app:{PASSWORD}@db/ledger",  # no colon after the scheme
    f"app:{PASSWORD}@db/ledger",  # no scheme at all
    f"postgresql://app:pre@{PASSWORD}@db/ledger",  # an unescaped @ inside the password
    f"postgresql://app:a/{PASSWORD}@db/ledger",  # an unescaped / inside the password
    f"postgresql://app:a {PASSWORD}@db/ledger",  # a space inside the password
    f"postgresql://app@db/ledger?sslmode=require&password={PASSWORD}",
]


@pytest.mark.parametrize("url", URLS)
def test_redact_url_hides_the_password_and_keeps_the_rest(url: str) -> None:
    shown = redact_url(url)
    assert PASSWORD not in shown
    assert "app" in shown and "ledger" in shown  # still says which database


def test_urls_without_a_password_are_left_alone() -> None:
    for url in (
        "sqlite+aiosqlite:///./evalledger.db",
        "postgresql://app@db:5432/ledger",
        "postgresql://[::1]:5432/ledger",
    ):
        assert redact_url(url) == url


def test_redact_finds_urls_inside_text() -> None:
    text = f"could not connect to postgresql://app:{PASSWORD}@db/x (timeout), see http://h:80/"
    assert (
        redact(text) == "could not connect to postgresql://app:***@db/x (timeout), see http://h:80/"
    )


@pytest.mark.parametrize("url", URLS[2:5])
def test_a_malformed_url_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(database_url=url)
    message = str(caught.value)
    assert "EVALLEDGER_DATABASE_URL" in message and "\n" not in message
    assert PASSWORD not in message
    with pytest.raises(ConfigError) as caught:
        load_settings(read_replica_urls=url)
    assert PASSWORD not in str(caught.value)


def test_validation_errors_of_settings_do_not_quote_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(database_url=URLS[2])
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)


def test_settings_redacted_url_masks_even_a_query_password() -> None:
    settings = load_settings(database_url=URLS[-1])
    assert PASSWORD not in settings.redacted_url()


def test_log_lines_mask_passwords_of_malformed_urls(capsys: pytest.CaptureFixture[str]) -> None:
    from evalledger.logs import configure_logging

    configure_logging("info", json_output=True)
    import structlog

    in_text = [u for u in URLS if " " not in u]  # free text: a URL ends at whitespace
    for url in in_text:
        structlog.get_logger("t").error("database_error", error=f"could not open {url} now")
    out = capsys.readouterr().out
    assert out.count("database_error") == len(in_text)
    assert PASSWORD not in out


def test_redact_is_linear_on_hostile_text() -> None:
    """Log lines carry request paths a client chose: no input may make the scrubber crawl."""
    import time

    for hostile in ("a:" * 10_000, "ab" * 10_000, ":" * 20_000, "a@:" * 7_000, "/x" * 10_000):
        started = time.perf_counter()
        redact(hostile)
        assert time.perf_counter() - started < 0.3, hostile[:12]
