"""Queries of the framework group."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, case, func, select

from evalledger.db.dialect import insert
from evalledger.db.repository import Repository
from evalledger.db.types import utcnow
from evalledger.framework.models import (
    FrameworkConfiguration,
    FrameworkExecution,
    FrameworkMetric,
    FrameworkStateCheckpoint,
)


class ExecutionRepository(Repository[FrameworkExecution]):
    model = FrameworkExecution

    async def stats(self) -> list[dict[str, Any]]:
        e = FrameworkExecution
        stmt = (
            select(
                e.framework,
                func.count().label("total"),
                func.sum(case((e.status == "running", 1), else_=0)).label("running"),
                func.sum(case((e.status == "completed", 1), else_=0)).label("completed"),
                func.sum(case((e.status == "failed", 1), else_=0)).label("failed"),
                func.avg(e.duration_ms).label("avg_duration_ms"),
                func.max(e.duration_ms).label("max_duration_ms"),
            )
            .where(e.project_id == self.uow.project_id)
            .group_by(e.framework)
            .order_by(e.framework)
        )
        return [dict(r) for r in (await self.session.execute(stmt)).mappings()]


class FrameworkMetricRepository(Repository[FrameworkMetric]):
    model = FrameworkMetric

    async def summary(self, framework: str) -> list[dict[str, Any]]:
        m = FrameworkMetric
        stmt = (
            select(
                m.name,
                func.count().label("count"),
                func.avg(m.value).label("avg"),
                func.min(m.value).label("min"),
                func.max(m.value).label("max"),
            )
            .where(m.project_id == self.uow.project_id, m.framework == framework)
            .group_by(m.name)
            .order_by(m.name)
        )
        return [dict(r) for r in (await self.session.execute(stmt)).mappings()]


class ConfigurationRepository(Repository[FrameworkConfiguration]):
    model = FrameworkConfiguration

    async def put(self, framework: str, config: dict[str, Any]) -> FrameworkConfiguration:
        """Create (version 1) or replace the configuration, bumping ``version`` in the same
        statement, so concurrent writers each get their own version number."""
        table: Table = FrameworkConfiguration.__table__  # type: ignore[assignment]
        now = utcnow()
        stmt = insert(self.uow.dialect, table).values(
            id=uuid.uuid4(),
            project_id=self.uow.project_id,
            framework=framework,
            config=config,
            version=1,
            created_at=now,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["project_id", "framework"],
            set_={
                "config": stmt.excluded.config,
                "version": table.c.version + 1,
                "updated_at": now,
            },
        ).returning(table.c.id)
        row_id = (await self.session.execute(stmt)).scalar_one()
        self.session.expire_all()
        return await self.get(row_id)


class FrameworkStateRepository(Repository[FrameworkStateCheckpoint]):
    model = FrameworkStateCheckpoint
