"""Queries of the power-dynamics group."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import aliased

from evalledger.db.repository import Repository
from evalledger.errors import NotFoundError
from evalledger.power.models import PowerEvent, PowerMetric, PowerNode, PowerRelation


class PowerNodeRepository(Repository[PowerNode]):
    model = PowerNode

    async def by_name(self, name: str, field: str = "name") -> PowerNode:
        row = await self.find_by(name=name)
        if row is None:
            raise NotFoundError(f"power node {name!r} not found", field=field)
        return row

    async def lock_by_names(self, names: Sequence[str]) -> dict[str, PowerNode]:
        """Lock the named nodes in one fixed order (by id), so transfers never deadlock."""
        stmt = (
            self.select()
            .where(PowerNode.name.in_(list(names)))
            .order_by(PowerNode.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        rows = {r.name: r for r in (await self.session.execute(stmt)).scalars()}
        for name in names:
            if name not in rows:
                raise NotFoundError(f"power node {name!r} not found", field=name)
        return rows

    async def all_names(self) -> list[str]:
        stmt = select(PowerNode.name).where(PowerNode.project_id == self.uow.project_id)
        return list((await self.session.execute(stmt)).scalars())


class PowerRelationRepository(Repository[PowerRelation]):
    model = PowerRelation

    async def named(self) -> list[tuple[uuid.UUID, str, str, float]]:
        """Every relation as ``(id, source name, target name, weight)``."""
        src, dst = aliased(PowerNode), aliased(PowerNode)
        stmt = (
            select(PowerRelation.id, src.name, dst.name, PowerRelation.weight)
            .join(src, src.id == PowerRelation.source_id)
            .join(dst, dst.id == PowerRelation.target_id)
            .where(PowerRelation.project_id == self.uow.project_id)
            .order_by(src.name, dst.name)
        )
        return [(i, s, t, w) for i, s, t, w in (await self.session.execute(stmt)).all()]


class PowerMetricRepository(Repository[PowerMetric]):
    model = PowerMetric


class PowerEventRepository(Repository[PowerEvent]):
    model = PowerEvent
