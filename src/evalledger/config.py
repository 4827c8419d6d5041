"""Settings, read once from the environment (prefix ``EVALLEDGER_``) or passed explicitly.

Every knob the ledger has lives here so that a user can see them all in one table (README,
"Configuration"). A bad value fails at start with one line naming the setting, instead of a
stack trace from deep inside the driver the first time a request arrives.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from evalledger.errors import ConfigurationError
from evalledger.redact import redact, redact_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./evalledger.db"

#: Synchronous or bare driver names a user may type, mapped to the async driver we run on.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


class ConfigError(ConfigurationError, ValueError):
    """A setting is malformed; the message is one line that names it.

    A :class:`~evalledger.errors.EvalLedgerError` (CLI exit 2) and, as before, a ``ValueError``.
    """


def normalise_database_url(raw: str, setting: str = "EVALLEDGER_DATABASE_URL") -> str:
    """Return ``raw`` rewritten to the async driver we use, or raise :class:`ConfigError`.

    ``postgresql://`` (what every hosting provider hands out) becomes ``postgresql+asyncpg://``;
    ``sqlite:///x.db`` becomes ``sqlite+aiosqlite:///x.db``. libpq's ``sslmode`` query parameter
    is not understood by asyncpg, so it is lifted out here and applied by the engine factory.
    """
    try:
        url: URL = make_url(raw)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        # Never the raw value or the parser's message: either may hold the password.
        raise ConfigError(
            f"{setting} is not a database URL ({redact_url(raw)!r}): expected e.g. "
            f"{DEFAULT_DATABASE_URL} or postgresql://user:password@host:5432/db"
        ) from exc
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ConfigError(
            f"{setting} uses unsupported driver {url.drivername!r}: use sqlite:// or postgresql://"
        )
    url = url.set(drivername=driver)
    if driver.startswith("postgresql") and not url.database:
        raise ConfigError(f"{setting} names no database: add /dbname to the URL")
    return url.render_as_string(hide_password=False)


class Settings(BaseSettings):
    """All of evalledger's configuration. See the README's configuration table."""

    #: ``hide_input_in_errors``: a ValidationError must not quote a URL with its password.
    model_config = SettingsConfigDict(
        env_prefix="EVALLEDGER_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    pool_size: int = Field(20, ge=1, le=1000)
    max_overflow: int = Field(30, ge=0, le=1000)
    pool_recycle: int = Field(1800, ge=-1, description="seconds; -1 disables")
    pool_pre_ping: bool = True
    pool_timeout: float = Field(10.0, gt=0)
    statement_timeout_ms: int = Field(30_000, ge=0, description="PostgreSQL only; 0 disables")
    connect_timeout: float = Field(5.0, gt=0, description="seconds to open a connection")
    #: Seconds ``/health`` waits for the database; also how long a pooled PostgreSQL
    #: connection's liveness ping may take when it is checked out (a frozen or partitioned
    #: server then answers 503 fast instead of holding every request).
    health_timeout: float = Field(1.0, gt=0, le=60)
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = (
        None
    )
    sqlite_busy_timeout_ms: int = Field(60_000, ge=0)
    pg_row_security: bool = Field(
        False, description="PostgreSQL: run tenant transactions under row-level security"
    )
    pg_app_role: str = Field("evalledger_app", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    #: asyncpg prepared statements cached per connection; 0 for a transaction-mode pooler
    #: (PgBouncer): no statement cache, and uniquely named statements (docs/scaling.md).
    pg_prepared_statement_cache_size: int = Field(100, ge=0)

    #: PostgreSQL streaming replicas for read-only units of work (comma-separated in the
    #: environment). Empty: every read goes to ``database_url``.
    read_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    replica_max_lag_seconds: float = Field(5.0, ge=0)
    replica_check_interval_seconds: float = Field(2.0, ge=0)

    max_test_history_size: int = Field(50, ge=1, le=10_000)
    max_learning_patterns_size: int = Field(100, ge=1, le=10_000)
    max_improvement_suggestions_size: int = Field(50, ge=1, le=10_000)

    elo_k: float = Field(4.0, gt=0, le=1000, description="Elo step for the leaderboard")
    bootstrap_rounds: int = Field(100, ge=1, le=1000, description="leaderboard bootstrap rounds")

    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(32, ge=2, le=1000)
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(1000, ge=1)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    exports_dir: Path = Path("data/exports")
    backups_dir: Path = Field(Path("data/backups"), description="backups the dashboard lists")

    assessment_cache_days: int = Field(7, ge=0, description="use_cached window for assessments")
    evidence_min: int = Field(3, ge=0, description="verify: fewest evidence rows per assessment")
    evidence_max: int = Field(20, ge=0, description="verify: most evidence rows per assessment")

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("read_replica_urls", mode="before")
    @classmethod
    def _split_replica_urls(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return [
                normalise_database_url(str(v).strip(), "EVALLEDGER_READ_REPLICA_URLS")
                for v in value
                if str(v).strip()
            ]
        return value

    @model_validator(mode="after")
    def _replicas_need_postgres(self) -> Settings:
        if self.read_replica_urls:
            if not self.is_postgres:
                raise ConfigError(
                    "EVALLEDGER_READ_REPLICA_URLS needs EVALLEDGER_DATABASE_URL to be PostgreSQL"
                )
            for url in self.read_replica_urls:
                if not url.startswith("postgresql"):
                    raise ConfigError(
                        "EVALLEDGER_READ_REPLICA_URLS must list postgresql:// URLs only"
                    )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def redacted_url(self) -> str:
        """The database URL safe for logs and output: the password is masked."""
        return redact_url(self.database_url)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning any validation failure into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "settings"
        message = err["msg"]
        ctx = err.get("ctx") or {}
        if "error" in ctx and isinstance(ctx["error"], ConfigError):
            raise ConfigError(str(ctx["error"])) from None
        raise ConfigError(redact(f"EVALLEDGER_{field.upper()} is invalid: {message}")) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings from the environment (cached; tests pass settings explicitly)."""
    return load_settings()
