"""The power group's operations under ``/api/v1/power``: nodes with balances of power, weighted
relations between them, the network's influence and coalitions, and atomic transfers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le, MaxLen
from pydantic import Field

from evalledger.operations import In, OperationGroup, PageSize, WireName, as_model, get, post, put
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

if TYPE_CHECKING:
    from evalledger.power.service import PowerService


class PowerOperations(
    OperationGroup,
    prefix="/api/v1/power",
    tag="power",
    service="evalledger.power.service:PowerService",
):
    @post("/nodes", summary="Create a node", status=201)
    async def create_power_node(svc: PowerService, node: In[PowerNodeIn]) -> PowerNodeOut:
        """Create a node with its starting balance of power; names are unique."""
        return await svc.create_node(as_model(PowerNodeIn, node))

    @get("/nodes", summary="All nodes and balances")
    async def list_power_nodes(svc: PowerService) -> list[PowerNodeOut]:
        """Every node with its current balance."""
        return await svc.list_nodes()

    @put("/relations", summary="Create or reweigh a relation")
    async def set_power_relation(svc: PowerService, relation: In[RelationIn]) -> RelationOut:
        """``source`` has power over ``target`` with strength ``weight`` (set again: reweighed)."""
        return await svc.set_relation(as_model(RelationIn, relation))

    @get("/relations", summary="All relations")
    async def list_power_relations(svc: PowerService) -> list[RelationOut]:
        """Every relation between two nodes."""
        return await svc.list_relations()

    @get("/analysis", summary="Influence of each node and coalitions above a strength threshold")
    async def analyze_power_network(
        svc: PowerService,
        threshold: Annotated[float, Ge(0), Le(1e15), Field(allow_inf_nan=False)] = 0.5,
    ) -> NetworkAnalysis:
        """Each node's influence (summing to 1) and the coalitions: groups of nodes joined by
        relations at least ``threshold`` strong."""
        return await svc.analyze(threshold)

    @post(
        "/analysis/influence",
        summary="Record every node's current influence as a metric",
        status=201,
    )
    async def record_influence(svc: PowerService) -> list[PowerMetricOut]:
        """Store each node's current influence as a metric named ``influence``."""
        return await svc.record_influence()

    @get("/nodes/{name}/metrics", summary="A node's metrics")
    async def power_node_metrics(
        svc: PowerService, node: Annotated[str, MaxLen(255), WireName("name")]
    ) -> list[PowerMetricOut]:
        """The node's recorded metrics, oldest first."""
        return await svc.node_metrics(node)

    @post(
        "/transfers",
        summary="Move power between two nodes atomically (records a power event)",
        status=201,
    )
    async def transfer_power(svc: PowerService, transfer: In[TransferIn]) -> TransferOut:
        """Move ``amount`` from ``source`` (which must hold it) to ``target``, in the same
        transaction as the power event that records it."""
        return await svc.transfer(as_model(TransferIn, transfer))

    @get("/events", summary="Power events, newest first")
    async def list_power_events(svc: PowerService, limit: PageSize = 100) -> list[PowerEventOut]:
        """Power events (transfers), newest first."""
        return await svc.list_events(limit)
