"""REST of the power-dynamics group under ``/api/v1/power``."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from evalledger.api.deps import Reader, Writer
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

router = APIRouter(prefix="/api/v1/power", tags=["power"])


@router.post("/nodes", response_model=PowerNodeOut, status_code=201, summary="Create a node")
async def create_node(body: PowerNodeIn, ledger: Writer) -> PowerNodeOut:
    return await ledger.create_power_node(body)


@router.get("/nodes", response_model=list[PowerNodeOut], summary="All nodes and balances")
async def list_nodes(ledger: Reader) -> list[PowerNodeOut]:
    return await ledger.list_power_nodes()


@router.get(
    "/nodes/{name}/metrics", response_model=list[PowerMetricOut], summary="A node's metrics"
)
async def node_metrics(ledger: Reader, name: str = Path(max_length=255)) -> list[PowerMetricOut]:
    return await ledger.power_node_metrics(name)


@router.put("/relations", response_model=RelationOut, summary="Create or reweigh a relation")
async def set_relation(body: RelationIn, ledger: Writer) -> RelationOut:
    return await ledger.set_power_relation(body)


@router.get("/relations", response_model=list[RelationOut], summary="All relations")
async def list_relations(ledger: Reader) -> list[RelationOut]:
    return await ledger.list_power_relations()


@router.get(
    "/analysis",
    response_model=NetworkAnalysis,
    summary="Influence of each node and coalitions above a strength threshold",
)
async def analysis(
    ledger: Reader, threshold: float = Query(0.5, ge=0, le=1e15, allow_inf_nan=False)
) -> NetworkAnalysis:
    return await ledger.analyze_power_network(threshold)


@router.post(
    "/analysis/influence",
    response_model=list[PowerMetricOut],
    status_code=201,
    summary="Record every node's current influence as a metric",
)
async def record_influence(ledger: Writer) -> list[PowerMetricOut]:
    return await ledger.record_influence()


@router.post(
    "/transfers",
    response_model=TransferOut,
    status_code=201,
    summary="Move power between two nodes atomically (records a power event)",
)
async def transfer(body: TransferIn, ledger: Writer) -> TransferOut:
    return await ledger.transfer_power(body)


@router.get("/events", response_model=list[PowerEventOut], summary="Power events, newest first")
async def events(ledger: Reader, limit: int = Query(100, ge=1, le=1000)) -> list[PowerEventOut]:
    return await ledger.list_power_events(limit)
