"""The consensus group on the in-process SDK."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.consensus.schemas import NodeIn, NodeOut, ProposalIn, ProposalOut, VoteIn, VoteOut
from evalledger.consensus.service import ConsensusService
from evalledger.errors import parse_uuid
from evalledger.sdk.base import LedgerBase
from evalledger.verification.facade import as_model


class ConsensusFacade(LedgerBase):
    async def register_consensus_node(self, node: NodeIn | Mapping[str, Any]) -> NodeOut:
        body = as_model(NodeIn, node)
        async with self._write() as uow:
            return await ConsensusService(uow).register_node(body)

    async def list_consensus_nodes(self) -> list[NodeOut]:
        async with self._read() as uow:
            return await ConsensusService(uow).list_nodes()

    async def create_proposal(self, proposal: ProposalIn | Mapping[str, Any]) -> ProposalOut:
        body = as_model(ProposalIn, proposal)
        async with self._write() as uow:
            return await ConsensusService(uow).create_proposal(body)

    async def get_proposal(self, proposal_id: uuid.UUID | str) -> ProposalOut:
        async with self._read() as uow:
            return await ConsensusService(uow).get_proposal(parse_uuid(proposal_id, "proposal_id"))

    async def list_proposals(self, status: str | None = None) -> list[ProposalOut]:
        async with self._read() as uow:
            return await ConsensusService(uow).list_proposals(status)

    async def cast_vote(
        self, proposal_id: uuid.UUID | str, vote: VoteIn | Mapping[str, Any]
    ) -> VoteOut:
        body = as_model(VoteIn, vote)
        async with self._write() as uow:
            return await ConsensusService(uow).cast_vote(
                parse_uuid(proposal_id, "proposal_id"), body
            )

    async def close_proposal(self, proposal_id: uuid.UUID | str) -> ProposalOut:
        async with self._write() as uow:
            return await ConsensusService(uow).close_proposal(
                parse_uuid(proposal_id, "proposal_id")
            )
