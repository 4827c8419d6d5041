"""Tests for evalledger.consensus.tally: node votes against a quorum (pure: no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.consensus.tally import TallyResult, tally_votes


def test_tally_clear_winner_with_quorum() -> None:
    result = tally_votes([("n1", "commit"), ("n2", "commit"), ("n3", "abort")], quorum=3)
    assert result == TallyResult(
        counts={"abort": 1, "commit": 2}, winner="commit", quorum_reached=True, decided=True
    )


def test_tally_winner_without_quorum_is_not_decided() -> None:
    result = tally_votes([("n1", "commit"), ("n2", "commit")], quorum=3)
    assert result.winner == "commit"
    assert result.quorum_reached is False
    assert result.decided is False


def test_tally_tie_has_no_winner() -> None:
    result = tally_votes([("n1", "a"), ("n2", "b"), ("n3", "a"), ("n4", "b")], quorum=2)
    assert result.winner is None
    assert result.quorum_reached is True
    assert result.decided is False


def test_tally_no_votes() -> None:
    result = tally_votes([], quorum=1)
    assert result == TallyResult(counts={}, winner=None, quorum_reached=False, decided=False)


def test_tally_duplicate_node_named() -> None:
    with pytest.raises(ValueError, match="'n2'"):
        tally_votes([("n1", "a"), ("n2", "a"), ("n2", "b")], quorum=1)


@pytest.mark.parametrize("quorum", [0, -1])
def test_tally_rejects_bad_quorum(quorum: int) -> None:
    with pytest.raises(ValueError, match="quorum"):
        tally_votes([("n1", "a")], quorum=quorum)


@settings(max_examples=50, deadline=None)
@given(
    choices=st.dictionaries(
        keys=st.text(alphabet="nmo0123", min_size=1, max_size=3),
        values=st.sampled_from(["x", "y", "z"]),
        max_size=12,
    ),
    quorum=st.integers(min_value=1, max_value=15),
    data=st.data(),
)
def test_tally_properties(choices: dict[str, str], quorum: int, data: st.DataObject) -> None:
    votes = data.draw(st.permutations(list(choices.items())))
    result = tally_votes(votes, quorum)
    assert sum(result.counts.values()) == len(votes)
    assert result.quorum_reached == (len(votes) >= quorum)
    assert result.decided == (result.quorum_reached and result.winner is not None)
    if result.winner is not None:
        top = result.counts[result.winner]
        assert all(
            count < top for choice, count in result.counts.items() if choice != result.winner
        )
    assert tally_votes(list(reversed(votes)), quorum) == result
