"""row-level security on PostgreSQL: the app role and one project policy per table

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:30:00.000000

PostgreSQL only (a no-op on SQLite). Creates the unprivileged role the tenant transactions
switch to (``EVALLEDGER_PG_APP_ROLE``, default ``evalledger_app``; ``NOLOGIN NOBYPASSRLS``;
roles are cluster-wide, so an existing one is kept), grants it the data privileges and makes
the migrating user a member (so ``SET ROLE`` works for a non-superuser owner), then enables
row-level security on every table with a ``project_id`` column with the policy
``project_isolation``: rows are visible and writable only when their ``project_id`` equals
the transaction's ``evalledger.project_id`` setting. ``projects`` itself shows the app role
only its own row. ``evalledger_id_owners(table, ids)`` (``SECURITY DEFINER``) tells which
project uses given ids, so a write can answer 409 for an id taken in another project.
The owner (migrations, backups, operator tools) is not subject to the
policies (no ``FORCE``). The downgrade drops the policies and disables row-level security;
the role stays (other databases of the cluster may use it).
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY = "project_isolation"
SETTING = "nullif(current_setting('evalledger.project_id', true), '')::uuid"


def _role() -> str:
    role = context.config.attributes.get("app_role") or os.environ.get(
        "EVALLEDGER_PG_APP_ROLE", "evalledger_app"
    )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"invalid PostgreSQL role name {role!r}")
    return str(role)


def _scoped_tables() -> list[str]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t "
            "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND c.column_name = 'project_id' "
            "  AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
        )
    )
    return [row[0] for row in rows]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _role()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN NOBYPASSRLS;
            END IF;
            IF NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
                EXECUTE format('GRANT {role} TO %I', current_user);
            END IF;
        END
        $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"
    )
    for table in _scoped_tables():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON "{table}" FOR ALL TO {role} '
            f"USING (project_id = {SETTING}) WITH CHECK (project_id = {SETTING})"
        )
    # Ids are global: a write must tell its own row (a replay) from another project's (409)
    # without seeing that row. This function answers "which project uses these ids?" for
    # ids the caller already names, and nothing else (evalledger.db.repository.id_owners).
    op.execute(
        """
        CREATE OR REPLACE FUNCTION evalledger_id_owners(tbl regclass, ids uuid[])
        RETURNS TABLE (id uuid, project_id uuid)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $fn$
        BEGIN
            RETURN QUERY EXECUTE
                format('SELECT t.id, t.project_id FROM %s t WHERE t.id = ANY($1)', tbl)
                USING ids;
        END
        $fn$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION evalledger_id_owners(regclass, uuid[]) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION evalledger_id_owners(regclass, uuid[]) TO {role}")
    op.execute("ALTER TABLE projects ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {POLICY} ON projects FOR ALL TO {role} "
        f"USING (id = {SETTING}) WITH CHECK (id = {SETTING})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS evalledger_id_owners(regclass, uuid[])")
    for table in [*_scoped_tables(), "projects"]:
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
