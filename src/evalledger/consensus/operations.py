"""The consensus group's operations under ``/api/v1/consensus``: nodes vote on proposals, one
vote per node per proposal, tallied against the proposal's quorum.

(Not the consensus of verification verdicts: that is ``compute_consensus`` on a claim.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from evalledger.consensus.schemas import NodeIn, NodeOut, ProposalIn, ProposalOut, VoteIn, VoteOut
from evalledger.operations import AnyId, In, OperationGroup, as_model, as_uuid, get, post

if TYPE_CHECKING:
    from evalledger.consensus.service import ConsensusService

ProposalStatus = Literal["open", "decided", "no_consensus"]


class ConsensusOperations(
    OperationGroup,
    prefix="/api/v1/consensus",
    tag="consensus",
    service="evalledger.consensus.service:ConsensusService",
):
    @post("/nodes", summary="Register a node", status=201)
    async def register_consensus_node(svc: ConsensusService, node: In[NodeIn]) -> NodeOut:
        """Register a voting node; its name is unique (a second one is a conflict)."""
        return await svc.register_node(as_model(NodeIn, node))

    @get("/nodes", summary="All nodes")
    async def list_consensus_nodes(svc: ConsensusService) -> list[NodeOut]:
        """Every voting node."""
        return await svc.list_nodes()

    @post("/proposals", summary="Propose", status=201)
    async def create_proposal(svc: ConsensusService, proposal: In[ProposalIn]) -> ProposalOut:
        """Open a proposal: distinct choices and the quorum a decision needs."""
        return await svc.create_proposal(as_model(ProposalIn, proposal))

    @get("/proposals", summary="Proposals, newest first")
    async def list_proposals(
        svc: ConsensusService, status: ProposalStatus | None = None
    ) -> list[ProposalOut]:
        """Proposals, newest first, optionally in one status."""
        return await svc.list_proposals(status)

    @get("/proposals/{proposal_id}", summary="One, with tally")
    async def get_proposal(svc: ConsensusService, proposal_id: AnyId) -> ProposalOut:
        """The proposal with this id and its current tally."""
        return await svc.get_proposal(as_uuid(proposal_id))

    @post(
        "/proposals/{proposal_id}/votes",
        summary="Vote (one vote per node per proposal; 409 on a second)",
        status=201,
    )
    async def cast_vote(svc: ConsensusService, proposal_id: AnyId, vote: In[VoteIn]) -> VoteOut:
        """A node's vote on an open proposal; the tally is rewritten in the same transaction."""
        return await svc.cast_vote(as_uuid(proposal_id), as_model(VoteIn, vote))

    @post(
        "/proposals/{proposal_id}/close",
        summary="Close: decided (quorum and a strict winner) or no_consensus",
    )
    async def close_proposal(svc: ConsensusService, proposal_id: AnyId) -> ProposalOut:
        """Decide the proposal from its tally: ``decided`` with the winner, or ``no_consensus``
        (quorum not reached or a tie). Closed proposals accept no more votes."""
        return await svc.close_proposal(as_uuid(proposal_id))
