"""The tables and columns the schema has at one migration revision.

A backup taken on an older schema holds the tables of that revision, and a restore must know
which tables a complete archive of a revision holds, before it touches anything. Both come
from here: the migrations are run up to the revision on a scratch in-memory SQLite database
(a fifth of a second, cached per revision) and its tables are read back. The migrations are
the one truth about what a revision looks like, so this never drifts from them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, create_engine, inspect
from sqlalchemy.engine import Connection

from evalledger._version import __version__
from evalledger.db.migrate import alembic_config
from evalledger.db.registry import metadata
from evalledger.errors import ValidationFailed


@dataclass(frozen=True)
class Shape:
    """One table as it is at a revision: the model (for column types) and its columns."""

    table: Table
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def split_revision(revision: str) -> list[str]:
    """``"a,b"`` (several heads) as ``["a", "b"]``."""
    return sorted(part for part in revision.split(",") if part)


@functools.lru_cache(maxsize=16)
def _columns_at(revision: str) -> dict[str, tuple[str, ...]]:
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            cfg = alembic_config(conn)
            for rev in split_revision(revision):
                command.upgrade(cfg, rev)
            found = inspect(conn)
            return {
                name: tuple(c["name"] for c in found.get_columns(name))
                for name in found.get_table_names()
                if name != "alembic_version"
            }
    finally:
        engine.dispose()


def shapes_at(revision: str | None) -> list[Shape]:
    """Every table of ``revision``, parents before children, with its columns then.

    Raises :class:`ValidationFailed` for a revision this version of evalledger does not know
    (a backup from a newer evalledger), saying what to do.
    """
    if not revision:
        raise ValidationFailed("the database has no schema yet (run `evalledger init`)")
    unknown = [rev for rev in split_revision(revision) if rev not in known_revisions()]
    if unknown or not split_revision(revision):
        raise ValidationFailed(
            f"schema revision {revision!r} is unknown to evalledger {__version__}: "
            "use the evalledger version that wrote it, or a newer one"
        )
    columns = _columns_at(",".join(split_revision(revision)))
    shapes = []
    for table in metadata.sorted_tables:
        if table.name in columns:
            present = set(columns[table.name])
            shapes.append(Shape(table, tuple(c.name for c in table.columns if c.name in present)))
    return shapes


def revision_of(conn: Connection) -> str | None:
    """The revision a connection's database is at (several heads joined by commas)."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def order(revision: str) -> int | None:
    """Position of a single revision in the history, oldest first (None if unknown)."""
    script = ScriptDirectory.from_config(alembic_config())
    chain: Sequence[str] = [rev.revision for rev in script.walk_revisions()][::-1]
    return chain.index(revision) if revision in chain else None
