"""PostgreSQL row-level security: the second wall behind the project filters.

The suite runs PostgreSQL with ``pg_row_security=True`` (tests/conftest.py), so every other
test already runs its tenant transactions under the policies. These tests show the wall
itself: raw SQL without any project filter, inside a tenant unit of work, sees and writes
only that tenant's rows.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from evalledger.agents.models import AgentMetrics
from evalledger.errors import PermissionDenied
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import Actor, UnitOfWork


@pytest.fixture
async def two_projects(seeded: Ledger, backend: str) -> tuple[Ledger, uuid.UUID]:
    if backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    assert seeded.db.row_security, "the suite must run PostgreSQL with row security on"
    async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
        project_b = (await tenancy.create_project(uow, "tenant-b")).id
    await seeded.in_project(project_b).seed_default_agents()
    await seeded.in_project(project_b).create_or_update_agent_metrics("only-in-b")
    return seeded, project_b


async def test_a_query_without_project_filter_sees_only_its_project(
    two_projects: tuple[Ledger, uuid.UUID],
) -> None:
    ledger, project_b = two_projects
    count = "SELECT count(*) FROM agent_metrics"
    async with ledger.db.engine.connect() as conn:  # the owner: no policies
        assert (await conn.execute(text(count))).scalar_one() == 9
    async with UnitOfWork(ledger.db, write=False) as uow:  # tenant A, raw SQL, no filter
        assert (await uow.session.execute(text(count))).scalar_one() == 4
        names = (await uow.session.execute(text("SELECT name FROM projects"))).scalars().all()
        assert names == ["default"]
    async with UnitOfWork(ledger.db, Actor(project_id=project_b), write=False) as uow:
        assert (await uow.session.execute(text(count))).scalar_one() == 5
        role = (await uow.session.execute(text("SELECT current_user"))).scalar_one()
        assert role == ledger.settings.pg_app_role


async def test_writing_into_another_project_is_refused_by_the_policy(
    two_projects: tuple[Ledger, uuid.UUID],
) -> None:
    ledger, project_b = two_projects
    # The unit of work translates the policy's refusal (db/translate.py): never a raw DBAPIError.
    with pytest.raises(PermissionDenied, match="row-level security"):
        async with UnitOfWork(ledger.db) as uow:  # tenant A inserts a row of project B
            uow.session.add(AgentMetrics(project_id=project_b, agent_id="x", agent_type="x"))
            await uow.session.flush()
    async with UnitOfWork(ledger.db) as uow:  # updates and deletes cannot reach B's rows
        updated = await uow.session.execute(
            text("UPDATE agent_metrics SET xp = xp + 1000 WHERE project_id = :b"),
            {"b": project_b},
        )
        deleted = await uow.session.execute(
            text("DELETE FROM agent_metrics WHERE agent_type = 'only-in-b'")
        )
        assert updated.rowcount == 0 and deleted.rowcount == 0
    b_agents = await ledger.in_project(project_b).list_agents()
    assert {a.agent_type for a in b_agents} >= {"only-in-b"}
    assert all(a.xp < 1000 for a in b_agents)


async def test_the_setting_lasts_one_transaction(two_projects: tuple[Ledger, uuid.UUID]) -> None:
    ledger, _ = two_projects
    async with UnitOfWork(ledger.db, write=False) as uow:
        await uow.session.execute(text("SELECT 1"))
    # The next transaction on any pooled connection starts as the owner with no project set.
    async with ledger.db.engine.connect() as conn:
        setting = (
            await conn.execute(text("SELECT current_setting('evalledger.project_id', true)"))
        ).scalar_one()
        assert not setting
        assert (await conn.execute(text("SELECT current_user"))).scalar_one() != "evalledger_app"
