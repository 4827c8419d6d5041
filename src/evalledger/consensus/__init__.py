"""Consensus (seed 004): nodes vote on proposals; votes are tallied against a quorum
(:mod:`evalledger.consensus.tally`). Not the consensus of verification verdicts on a claim,
which is :mod:`evalledger.verification.consensus_rules`."""
