"""REST of the consensus group under ``/api/v1/consensus``."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from evalledger.api.deps import Reader, Writer
from evalledger.consensus.schemas import NodeIn, NodeOut, ProposalIn, ProposalOut, VoteIn, VoteOut

router = APIRouter(prefix="/api/v1/consensus", tags=["consensus"])


@router.post("/nodes", response_model=NodeOut, status_code=201, summary="Register a node")
async def register_node(body: NodeIn, ledger: Writer) -> NodeOut:
    return await ledger.register_consensus_node(body)


@router.get("/nodes", response_model=list[NodeOut], summary="All nodes")
async def list_nodes(ledger: Reader) -> list[NodeOut]:
    return await ledger.list_consensus_nodes()


@router.post("/proposals", response_model=ProposalOut, status_code=201, summary="Propose")
async def create_proposal(body: ProposalIn, ledger: Writer) -> ProposalOut:
    return await ledger.create_proposal(body)


@router.get("/proposals", response_model=list[ProposalOut], summary="Proposals, newest first")
async def list_proposals(
    ledger: Reader, status: Literal["open", "decided", "no_consensus"] | None = None
) -> list[ProposalOut]:
    return await ledger.list_proposals(status)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="One, with tally")
async def get_proposal(proposal_id: uuid.UUID, ledger: Reader) -> ProposalOut:
    return await ledger.get_proposal(proposal_id)


@router.post(
    "/proposals/{proposal_id}/votes",
    response_model=VoteOut,
    status_code=201,
    summary="Vote (one vote per node per proposal; 409 on a second)",
)
async def cast_vote(proposal_id: uuid.UUID, body: VoteIn, ledger: Writer) -> VoteOut:
    return await ledger.cast_vote(proposal_id, body)


@router.post(
    "/proposals/{proposal_id}/close",
    response_model=ProposalOut,
    summary="Close: decided (quorum and a strict winner) or no_consensus",
)
async def close_proposal(proposal_id: uuid.UUID, ledger: Writer) -> ProposalOut:
    return await ledger.close_proposal(proposal_id)
