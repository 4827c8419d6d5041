"""Replica settings, the lag rule and round-robin routing, without a database."""

from __future__ import annotations

import math
from typing import Any

import pytest
from prometheus_client import REGISTRY

from evalledger.config import ConfigError, load_settings
from evalledger.db.replicas import Replica, ReplicaSet, lag_from_row

PRIMARY = "postgresql://app@db0/ledger"


def test_replica_urls_are_read_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "EVALLEDGER_READ_REPLICA_URLS",
        "postgresql://app@db1/ledger, postgres://app@db2:5433/ledger",
    )
    settings = load_settings(database_url=PRIMARY)
    assert settings.read_replica_urls == [
        "postgresql+asyncpg://app@db1/ledger",
        "postgresql+asyncpg://app@db2:5433/ledger",
    ]
    assert settings.replica_max_lag_seconds == 5
    assert settings.replica_check_interval_seconds == 2
    assert settings.pg_prepared_statement_cache_size == 100


def test_no_replicas_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALLEDGER_READ_REPLICA_URLS", "")
    assert load_settings(database_url=PRIMARY).read_replica_urls == []
    monkeypatch.delenv("EVALLEDGER_READ_REPLICA_URLS")
    assert load_settings().read_replica_urls == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"read_replica_urls": "postgresql://app@db1/ledger"}, "needs EVALLEDGER_DATABASE_URL"),
        (
            {"database_url": PRIMARY, "read_replica_urls": "postgresql://app@db1"},
            "EVALLEDGER_READ_REPLICA_URLS names no database",
        ),
        (
            {"database_url": PRIMARY, "read_replica_urls": "mysql://app@db1/x"},
            "EVALLEDGER_READ_REPLICA_URLS uses unsupported driver",
        ),
        (
            {"database_url": PRIMARY, "read_replica_urls": "sqlite:///x.db"},
            "postgresql:// URLs only",
        ),
    ],
)
def test_bad_replica_settings_fail_with_one_line_naming_the_setting(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(**overrides)


@pytest.mark.parametrize(
    ("standby", "caught_up", "lag", "expected"),
    [
        (False, None, None, 0.0),  # not a standby (or promoted): no lag
        (True, True, 3600.0, 0.0),  # idle primary: old replay timestamp, nothing to replay
        (True, False, 2.5, 2.5),
        (True, False, -0.1, 0.0),  # clock skew
        (True, False, None, math.inf),  # behind, and no transaction replayed yet: unknown
        (True, None, 1.0, 1.0),  # no WAL receiver (archive recovery): the timestamp decides
    ],
)
def test_lag_rule(
    standby: bool, caught_up: bool | None, lag: float | None, expected: float
) -> None:
    assert lag_from_row(standby, caught_up, lag) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _set(lags: dict[str, float | Exception], interval: float = 2.0) -> tuple[ReplicaSet, FakeClock]:
    clock = FakeClock()
    replicas = [Replica(name, None, None) for name in lags]  # type: ignore[arg-type]
    rs = ReplicaSet(replicas, max_lag_seconds=5, check_interval_seconds=interval, clock=clock)
    rs.checks = 0  # type: ignore[attr-defined]

    async def measure(replica: Replica) -> float:
        rs.checks += 1  # type: ignore[attr-defined]
        value = lags[replica.name]
        if isinstance(value, Exception):
            raise value
        return value

    rs._measure = measure  # type: ignore[method-assign]
    return rs, clock


def _fallbacks(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("evalledger_replica_fallbacks_total", {"reason": reason}) or 0.0
    )


async def test_round_robin_over_healthy_replicas_skipping_lagging_and_down_ones() -> None:
    rs, _ = _set({"a": 0.0, "b": 9.0, "c": 1.0, "d": OSError("refused")})
    chosen = [(await rs.choose()).name for _ in range(4)]  # type: ignore[union-attr]
    assert chosen == ["a", "c", "a", "c"]
    assert [s["state"] for s in rs.status()] == ["ok", "lag", "ok", "down"]


async def test_no_usable_replica_means_the_primary_counted_by_reason() -> None:
    lagging, _ = _set({"a": 60.0, "b": OSError("refused")})
    before = _fallbacks("lag")
    assert await lagging.choose() is None
    assert _fallbacks("lag") == before + 1

    down, _ = _set({"a": OSError("refused")})
    before = _fallbacks("down")
    assert await down.choose() is None
    assert _fallbacks("down") == before + 1


async def test_health_is_checked_at_most_once_per_interval() -> None:
    lags: dict[str, float | Exception] = {"a": 0.0}
    rs, clock = _set(lags, interval=2.0)
    for _ in range(5):
        await rs.choose()
    assert rs.checks == 1  # type: ignore[attr-defined]
    lags["a"] = 30.0
    clock.now += 1.0
    assert await rs.choose() is not None  # still cached as healthy
    clock.now += 1.5
    assert await rs.choose() is None  # re-checked: now lagging
    assert rs.checks == 2  # type: ignore[attr-defined]
    lags["a"] = 0.0
    clock.now += 2.0
    assert await rs.choose() is not None  # back in rotation
