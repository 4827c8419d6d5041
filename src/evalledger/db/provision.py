"""Create the configured database when it does not exist yet (``evalledger init``).

PostgreSQL, as the BrahminyKite persistence layer's ``init_db`` does: when the database named
in the URL does not exist, connect to the server's ``postgres`` maintenance database with the
same role and ``CREATE DATABASE``. A role without ``CREATEDB`` gets one line saying so and what
to ask for. SQLite creates its file on first connection; only its directory must exist.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from evalledger.config import Settings
from evalledger.db import failures
from evalledger.db.engine import _postgres_engine as postgres_engine
from evalledger.errors import EvalLedgerError, PermissionDenied

#: SQLSTATEs: insufficient_privilege, duplicate_database (someone created it meanwhile).
_NOT_ALLOWED = "42501"
_ALREADY_EXISTS = "42P04"
MAINTENANCE_DATABASE = "postgres"


async def create_database_if_missing(settings: Settings) -> bool:
    """Make sure the database exists; ``True`` when this call created it."""
    path = failures.sqlite_path(settings.database_url)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        failures.check_sqlite_creatable(settings.database_url)
        return path is not None and not path.exists()
    if await _postgres_database_exists(settings):
        return False
    await _create_postgres_database(settings)
    return True


async def _postgres_database_exists(settings: Settings) -> bool:
    engine = postgres_engine(settings)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except DBAPIError as exc:
        if failures.sqlstate(exc) == "3D000":
            return False
        raise
    finally:
        await engine.dispose()


async def _create_postgres_database(settings: Settings) -> None:
    url = make_url(settings.database_url)
    name = str(url.database)
    role = url.username or "the current role"
    where = failures.describe(settings.database_url)
    admin_url = url.set(database=MAINTENANCE_DATABASE).render_as_string(hide_password=False)
    engine = postgres_engine(settings, admin_url)
    try:
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            quoted = engine.dialect.identifier_preparer.quote(name)
            await autocommit.execute(text(f"CREATE DATABASE {quoted}"))
    except DBAPIError as exc:
        code = failures.sqlstate(exc)
        if code == _ALREADY_EXISTS:
            return
        if code == _NOT_ALLOWED:
            raise PermissionDenied(
                f"{where} does not exist and role {role!r} may not create databases: ask an "
                f"administrator to run CREATE DATABASE {name} OWNER {role}, then run "
                "`evalledger init` again"
            ) from None
        translated = failures.translate(exc, admin_url)
        raise EvalLedgerError(
            f"{where} does not exist and could not be created: "
            f"{translated.message if translated else exc}"
        ) from None
    finally:
        await engine.dispose()
