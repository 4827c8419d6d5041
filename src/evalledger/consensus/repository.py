"""Queries of the consensus group, on the generic repository."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from evalledger.consensus.models import (
    ConsensusNode,
    ConsensusProposal,
    ConsensusState,
    ConsensusVote,
)
from evalledger.db.repository import Repository
from evalledger.errors import NotFoundError


class NodeRepository(Repository[ConsensusNode]):
    model = ConsensusNode

    async def by_name(self, name: str) -> ConsensusNode:
        row = await self.find_by(name=name)
        if row is None:
            raise NotFoundError(f"consensus node {name!r} not found", field="node")
        return row


class ProposalRepository(Repository[ConsensusProposal]):
    model = ConsensusProposal


class VoteRepository(Repository[ConsensusVote]):
    model = ConsensusVote

    async def pairs(self, proposal_id: uuid.UUID) -> list[tuple[str, str]]:
        """``(node_id, choice)`` of every vote on the proposal, for the tally rule."""
        stmt = select(ConsensusVote.node_id, ConsensusVote.choice).where(
            ConsensusVote.project_id == self.uow.project_id,
            ConsensusVote.proposal_id == proposal_id,
        )
        return [(str(n), c) for n, c in (await self.session.execute(stmt)).all()]


class TallyRepository(Repository[ConsensusState]):
    """Each proposal's current tally (``consensus_state``)."""

    model = ConsensusState
