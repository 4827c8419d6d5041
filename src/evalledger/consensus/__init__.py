"""Consensus (seed 004): nodes vote on proposals; votes are tallied against a quorum."""
