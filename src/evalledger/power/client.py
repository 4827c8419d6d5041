"""The power-dynamics group over HTTP (same names and return types as its facade)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from evalledger.sdk.http import HttpBase
from evalledger.verification.client import as_list, body, seg

BASE = "/api/v1/power"


class PowerClient(HttpBase):
    async def create_power_node(self, node: PowerNodeIn | Mapping[str, Any]) -> PowerNodeOut:
        data = await self._request("POST", f"{BASE}/nodes", json=body(PowerNodeIn, node))
        return PowerNodeOut.model_validate(data)

    async def list_power_nodes(self) -> list[PowerNodeOut]:
        return as_list(PowerNodeOut, await self._request("GET", f"{BASE}/nodes"))  # type: ignore[no-any-return]

    async def set_power_relation(self, relation: RelationIn | Mapping[str, Any]) -> RelationOut:
        data = await self._request("PUT", f"{BASE}/relations", json=body(RelationIn, relation))
        return RelationOut.model_validate(data)

    async def list_power_relations(self) -> list[RelationOut]:
        return as_list(RelationOut, await self._request("GET", f"{BASE}/relations"))  # type: ignore[no-any-return]

    async def analyze_power_network(self, threshold: float = 0.5) -> NetworkAnalysis:
        data = await self._request("GET", f"{BASE}/analysis", params={"threshold": threshold})
        return NetworkAnalysis.model_validate(data)

    async def record_influence(self) -> list[PowerMetricOut]:
        data = await self._request("POST", f"{BASE}/analysis/influence")
        return as_list(PowerMetricOut, data)  # type: ignore[no-any-return]

    async def power_node_metrics(self, node: str) -> list[PowerMetricOut]:
        data = await self._request("GET", f"{BASE}/nodes/{seg(node)}/metrics")
        return as_list(PowerMetricOut, data)  # type: ignore[no-any-return]

    async def transfer_power(self, transfer: TransferIn | Mapping[str, Any]) -> TransferOut:
        data = await self._request("POST", f"{BASE}/transfers", json=body(TransferIn, transfer))
        return TransferOut.model_validate(data)

    async def list_power_events(self, limit: int = 100) -> list[PowerEventOut]:
        data = await self._request("GET", f"{BASE}/events", params={"limit": limit})
        return as_list(PowerEventOut, data)  # type: ignore[no-any-return]
