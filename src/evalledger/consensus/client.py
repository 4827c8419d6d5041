"""The consensus group over HTTP (same names and return types as its facade)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.audit.client import query
from evalledger.consensus.schemas import NodeIn, NodeOut, ProposalIn, ProposalOut, VoteIn, VoteOut
from evalledger.sdk.http import HttpBase
from evalledger.verification.client import as_list, body, seg

BASE = "/api/v1/consensus"


class ConsensusClient(HttpBase):
    async def register_consensus_node(self, node: NodeIn | Mapping[str, Any]) -> NodeOut:
        data = await self._request("POST", f"{BASE}/nodes", json=body(NodeIn, node))
        return NodeOut.model_validate(data)

    async def list_consensus_nodes(self) -> list[NodeOut]:
        return as_list(NodeOut, await self._request("GET", f"{BASE}/nodes"))  # type: ignore[no-any-return]

    async def create_proposal(self, proposal: ProposalIn | Mapping[str, Any]) -> ProposalOut:
        data = await self._request("POST", f"{BASE}/proposals", json=body(ProposalIn, proposal))
        return ProposalOut.model_validate(data)

    async def get_proposal(self, proposal_id: uuid.UUID | str) -> ProposalOut:
        data = await self._request("GET", f"{BASE}/proposals/{seg(proposal_id)}")
        return ProposalOut.model_validate(data)

    async def list_proposals(self, status: str | None = None) -> list[ProposalOut]:
        data = await self._request("GET", f"{BASE}/proposals", params=query(status=status))
        return as_list(ProposalOut, data)  # type: ignore[no-any-return]

    async def cast_vote(
        self, proposal_id: uuid.UUID | str, vote: VoteIn | Mapping[str, Any]
    ) -> VoteOut:
        data = await self._request(
            "POST", f"{BASE}/proposals/{seg(proposal_id)}/votes", json=body(VoteIn, vote)
        )
        return VoteOut.model_validate(data)

    async def close_proposal(self, proposal_id: uuid.UUID | str) -> ProposalOut:
        data = await self._request("POST", f"{BASE}/proposals/{seg(proposal_id)}/close")
        return ProposalOut.model_validate(data)
