"""Consensus rules and transactions: one vote per node per proposal, tallied against a quorum.

A vote locks its proposal row (so votes and the close of one proposal are serialised), checks
the proposal is open, the choice is offered and the node has not voted, inserts the vote and
rewrites ``consensus_state`` from :func:`~evalledger.consensus.tally.tally_votes`.
The UNIQUE(proposal_id, node_id) constraint is the last wall against a double vote.
"""

from __future__ import annotations

import uuid

from evalledger.consensus.models import ConsensusProposal, ConsensusState
from evalledger.consensus.repository import (
    NodeRepository,
    ProposalRepository,
    TallyRepository,
    VoteRepository,
)
from evalledger.consensus.schemas import (
    NodeIn,
    NodeOut,
    ProposalIn,
    ProposalOut,
    StateOut,
    VoteIn,
    VoteOut,
)
from evalledger.consensus.tally import tally_votes
from evalledger.db.repository import row_to_dict
from evalledger.db.translate import insert_or_conflict
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.uow import UnitOfWork


def _state(row: ConsensusState | None) -> StateOut | None:
    if row is None:
        return None
    return StateOut.model_validate({**row_to_dict(row), "updated_at": row.updated_at})


class ConsensusService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.nodes = NodeRepository(uow)
        self.proposals = ProposalRepository(uow)
        self.votes = VoteRepository(uow)
        self.states = TallyRepository(uow)

    async def register_node(self, data: NodeIn) -> NodeOut:
        if await self.nodes.find_by(name=data.name) is not None:
            raise ConflictError(f"consensus node {data.name!r} already exists", field="name")
        row = await self.nodes.add(
            name=data.name, description=data.description, metadata_=data.metadata
        )
        self.uow.audit("consensus_node", row.id, "create", {"name": data.name})
        return NodeOut.model_validate(row_to_dict(row))

    async def list_nodes(self) -> list[NodeOut]:
        rows, _ = await self.nodes.list(limit=10_000, newest_first=False)
        return [NodeOut.model_validate(row_to_dict(r)) for r in rows]

    async def create_proposal(self, data: ProposalIn) -> ProposalOut:
        row = await self.proposals.add(**data.model_dump(), status="open")
        self.uow.audit("consensus_proposal", row.id, "create", data.model_dump())
        return await self._proposal_out(row)

    async def get_proposal(self, proposal_id: uuid.UUID) -> ProposalOut:
        return await self._proposal_out(await self.proposals.get(proposal_id))

    async def list_proposals(self, status: str | None = None) -> list[ProposalOut]:
        rows, _ = await self.proposals.list({"status": status}, limit=1000)
        return [await self._proposal_out(r) for r in rows]

    async def cast_vote(self, proposal_id: uuid.UUID, data: VoteIn) -> VoteOut:
        proposal = await self.proposals.get(proposal_id, lock=True)
        if proposal.status != "open":
            raise ConflictError(f"proposal {proposal_id} is {proposal.status}", field="proposal_id")
        if data.choice not in proposal.choices:
            raise ValidationFailed(
                f"choice {data.choice!r} is not offered; choices: {', '.join(proposal.choices)}",
                field="choice",
            )
        node = await self.nodes.by_name(data.node)
        if not node.is_active:
            raise ValidationFailed(f"node {data.node!r} is not active", field="node")

        def voted() -> ConflictError:
            return ConflictError(f"node {data.node!r} already voted on this proposal", field="node")

        if await self.votes.find_by(proposal_id=proposal_id, node_id=node.id) is not None:
            raise voted()
        vote = await insert_or_conflict(
            self.uow,
            lambda: self.votes.add(proposal_id=proposal_id, node_id=node.id, choice=data.choice),
            voted,
        )
        vote_out = row_to_dict(vote)
        state = await self._retally(proposal)
        self.uow.audit(
            "consensus_vote",
            vote_out["id"],
            "create",
            {"proposal_id": str(proposal_id), "node": data.node, "choice": data.choice},
        )
        return VoteOut.model_validate({**vote_out, "state": state})

    async def close_proposal(self, proposal_id: uuid.UUID) -> ProposalOut:
        """Decide the proposal from its tally: ``decided`` with the winner, or ``no_consensus``
        (quorum not reached or a tie). Closed proposals accept no more votes."""
        proposal = await self.proposals.get(proposal_id, lock=True)
        if proposal.status != "open":
            raise ConflictError(
                f"proposal {proposal_id} is already {proposal.status}", field="proposal_id"
            )
        state = await self._retally(proposal)
        status = "decided" if state.decided else "no_consensus"
        outcome = state.winner if state.decided else None
        await self.proposals.update(
            proposal_id, status=status, outcome=outcome, decided_at=utcnow()
        )
        self.uow.audit(
            "consensus_proposal", proposal_id, "close", {"status": status, "outcome": outcome}
        )
        return await self.get_proposal(proposal_id)

    async def _retally(self, proposal: ConsensusProposal) -> StateOut:
        pairs = await self.votes.pairs(proposal.id)
        tally = tally_votes(pairs, proposal.quorum)
        row = await self.states.upsert(
            {
                "proposal_id": proposal.id,
                "counts": tally.counts,
                "total_votes": len(pairs),
                "winner": tally.winner,
                "quorum_reached": tally.quorum_reached,
                "decided": tally.decided,
            },
            conflict=("proposal_id",),
        )
        out = _state(row)
        assert out is not None
        return out

    async def _proposal_out(self, row: ConsensusProposal) -> ProposalOut:
        values = row_to_dict(row)
        state = await self.states.find_by(proposal_id=values["id"])
        return ProposalOut.model_validate({**values, "state": _state(state)})
