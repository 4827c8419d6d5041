"""The power-dynamics group on the in-process SDK."""

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
from evalledger.power.service import PowerService
from evalledger.sdk.base import LedgerBase
from evalledger.verification.facade import as_model


class PowerFacade(LedgerBase):
    async def create_power_node(self, node: PowerNodeIn | Mapping[str, Any]) -> PowerNodeOut:
        body = as_model(PowerNodeIn, node)
        async with self._write() as uow:
            return await PowerService(uow).create_node(body)

    async def list_power_nodes(self) -> list[PowerNodeOut]:
        async with self._read() as uow:
            return await PowerService(uow).list_nodes()

    async def set_power_relation(self, relation: RelationIn | Mapping[str, Any]) -> RelationOut:
        body = as_model(RelationIn, relation)
        async with self._write() as uow:
            return await PowerService(uow).set_relation(body)

    async def list_power_relations(self) -> list[RelationOut]:
        async with self._read() as uow:
            return await PowerService(uow).list_relations()

    async def analyze_power_network(self, threshold: float = 0.5) -> NetworkAnalysis:
        async with self._read() as uow:
            return await PowerService(uow).analyze(threshold)

    async def record_influence(self) -> list[PowerMetricOut]:
        async with self._write() as uow:
            return await PowerService(uow).record_influence()

    async def power_node_metrics(self, node: str) -> list[PowerMetricOut]:
        async with self._read() as uow:
            return await PowerService(uow).node_metrics(node)

    async def transfer_power(self, transfer: TransferIn | Mapping[str, Any]) -> TransferOut:
        body = as_model(TransferIn, transfer)
        async with self._write() as uow:
            return await PowerService(uow).transfer(body)

    async def list_power_events(self, limit: int = 100) -> list[PowerEventOut]:
        async with self._read() as uow:
            return await PowerService(uow).list_events(limit)
