"""Settings fail with one line naming the setting; logs never carry secrets."""

from __future__ import annotations

import json

import pytest
import structlog

from evalledger.config import ConfigError, load_settings, normalise_database_url
from evalledger.db.repository import decode_cursor, encode_cursor
from evalledger.errors import ValidationFailed
from evalledger.logs import configure_logging, scrub


def test_postgres_url_is_rewritten_to_asyncpg() -> None:
    assert normalise_database_url("postgresql://u:p@h/db").startswith("postgresql+asyncpg://")
    assert normalise_database_url("postgres://u@h/db").startswith("postgresql+asyncpg://")
    assert normalise_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"database_url": "not a url"}, "EVALLEDGER_DATABASE_URL"),
        ({"database_url": "mysql://u@h/db"}, "EVALLEDGER_DATABASE_URL"),
        ({"database_url": "postgresql://u@h"}, "EVALLEDGER_DATABASE_URL"),
        ({"pool_size": 0}, "EVALLEDGER_POOL_SIZE"),
        ({"sslmode": "sometimes"}, "EVALLEDGER_SSLMODE"),
        ({"max_test_history_size": "lots"}, "EVALLEDGER_MAX_TEST_HISTORY_SIZE"),
    ],
)
def test_bad_settings_fail_with_one_line(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    message = str(info.value)
    assert named in message and "\n" not in message


def test_env_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALLEDGER_POOL_SIZE", "7")
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", "postgresql://a:secret@h:5432/d")
    s = load_settings()
    assert s.pool_size == 7 and s.max_overflow == 30
    assert "secret" not in s.redacted_url()


def test_scrub_removes_keys_and_passwords() -> None:
    secret = "evl_0123abcd_" + "x" * 43
    assert secret not in scrub(f"Bearer {secret}")
    assert "hunter2" not in scrub("postgresql://me:hunter2@db/x")


def test_log_output_never_contains_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json_output=True)
    secret = "evl_0123abcd_" + "y" * 43
    structlog.get_logger("t").info("auth", authorization=f"Bearer {secret}", note=secret)
    out = capsys.readouterr().out
    assert secret not in out
    assert json.loads(out.strip().splitlines()[-1])["event"] == "auth"


def test_cursor_round_trip_and_garbage() -> None:
    import uuid
    from datetime import UTC, datetime

    at, rid = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC), uuid.uuid4()
    assert decode_cursor(encode_cursor(at, rid)) == (at, rid)
    with pytest.raises(ValidationFailed):
        decode_cursor("not-a-cursor")
