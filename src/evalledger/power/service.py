"""Power dynamics: network analysis, coalitions and atomic power transfers.

The graph computations are the pure functions of :mod:`evalledger.power.network`; this layer
loads the project's nodes and relations, and persists what must be persisted. A transfer locks
both nodes (sorted by id), validates with :func:`~evalledger.power.network.transfer_power`,
writes both balances and a ``power_events`` row in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from evalledger.db.repository import row_to_dict
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.power import network
from evalledger.power.models import PowerMetric, PowerNode
from evalledger.power.repository import (
    PowerEventRepository,
    PowerMetricRepository,
    PowerNodeRepository,
    PowerRelationRepository,
)
from evalledger.power.schemas import (
    NetworkAnalysis,
    PowerEventOut,
    PowerMetricOut,
    PowerNodeIn,
    PowerNodeOut,
    RelationIn,
    RelationOut,
    TransferIn,
    TransferOut,
)
from evalledger.uow import UnitOfWork


class PowerService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.nodes = PowerNodeRepository(uow)
        self.relations = PowerRelationRepository(uow)
        self.metrics = PowerMetricRepository(uow)
        self.events = PowerEventRepository(uow)

    async def create_node(self, data: PowerNodeIn) -> PowerNodeOut:
        if await self.nodes.find_by(name=data.name) is not None:
            raise ConflictError(f"power node {data.name!r} already exists", field="name")
        row = await self.nodes.add(**data.model_dump())
        self.uow.audit("power_node", row.id, "create", data.model_dump())
        return PowerNodeOut.model_validate(row_to_dict(row))

    async def list_nodes(self) -> list[PowerNodeOut]:
        stmt = self.nodes.select().order_by(PowerNode.name)
        rows = (await self.uow.session.execute(stmt)).scalars()
        return [PowerNodeOut.model_validate(row_to_dict(r)) for r in rows]

    async def set_relation(self, data: RelationIn) -> RelationOut:
        """Create the relation, or change its weight (one per ordered pair of nodes)."""
        if data.source == data.target:
            raise ValidationFailed("a node cannot hold power over itself", field="target")
        source = await self.nodes.by_name(data.source, "source")
        target = await self.nodes.by_name(data.target, "target")
        row = await self.relations.upsert(
            {"source_id": source.id, "target_id": target.id, "weight": data.weight},
            conflict=("source_id", "target_id"),
            update_columns=("weight",),
        )
        self.uow.audit("power_relation", row.id, "set", data.model_dump())
        return RelationOut(id=row.id, source=data.source, target=data.target, weight=data.weight)

    async def list_relations(self) -> list[RelationOut]:
        return [
            RelationOut(id=i, source=s, target=t, weight=w)
            for i, s, t, w in await self.relations.named()
        ]

    async def analyze(self, threshold: float) -> NetworkAnalysis:
        names = await self.nodes.all_names()
        relations = [(s, t, w) for _, s, t, w in await self.relations.named()]
        return NetworkAnalysis(
            influence=network.influence(names, relations),
            coalitions=network.coalitions(names, relations, threshold),
            threshold=threshold,
        )

    async def record_influence(self) -> list[PowerMetricOut]:
        """Store each node's current influence as a ``power_metrics`` row named ``influence``."""
        analysis = await self.analyze(threshold=float("inf"))
        ids = {
            name: node_id
            for node_id, name in (
                await self.uow.session.execute(
                    select(PowerNode.id, PowerNode.name).where(
                        PowerNode.project_id == self.uow.project_id
                    )
                )
            ).all()
        }
        now = utcnow()
        await self.metrics.bulk_insert(
            {"node_id": ids[name], "name": "influence", "value": value, "created_at": now}
            for name, value in analysis.influence.items()
        )
        self.uow.audit("power_metrics", "influence", "record", {"nodes": len(ids)})
        return [
            PowerMetricOut(node=name, name="influence", value=value, created_at=now)
            for name, value in sorted(analysis.influence.items())
        ]

    async def node_metrics(self, node: str) -> list[PowerMetricOut]:
        row = await self.nodes.by_name(node)
        stmt = (
            self.metrics.select()
            .where(PowerMetric.node_id == row.id)
            .order_by(PowerMetric.created_at, PowerMetric.id)
        )
        rows = (await self.uow.session.execute(stmt)).scalars()
        return [
            PowerMetricOut(node=node, name=r.name, value=r.value, created_at=r.created_at)
            for r in rows
        ]

    async def transfer(self, data: TransferIn) -> TransferOut:
        if data.source == data.target:
            raise ValidationFailed("source and target must differ", field="target")
        locked = await self.nodes.lock_by_names([data.source, data.target])
        balances = {name: node.power for name, node in locked.items()}
        try:
            updated = network.transfer_power(balances, data.source, data.target, data.amount)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="amount") from None
        source, target = locked[data.source], locked[data.target]
        source_id, target_id = source.id, target.id
        ids = {name: node.id for name, node in locked.items()}
        for name, node_id in ids.items():
            await self.nodes.update(node_id, power=updated[name])
        event = await self.events.add(
            event_type="transfer",
            source_id=source_id,
            target_id=target_id,
            amount=data.amount,
            details={"reason": data.reason, "before": balances, "after": updated},
        )
        self.uow.audit("power_event", event.id, "transfer", data.model_dump())
        return TransferOut(
            event=PowerEventOut.model_validate(row_to_dict(event)),
            balances={data.source: updated[data.source], data.target: updated[data.target]},
        )

    async def list_events(self, limit: int = 100) -> list[PowerEventOut]:
        rows, _ = await self.events.list(limit=limit)
        return [PowerEventOut.model_validate(row_to_dict(r)) for r in rows]
