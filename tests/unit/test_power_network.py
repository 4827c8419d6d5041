"""Tests for evalledger.power.network (pure: no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.power.network import coalitions, influence, transfer_power

NAMES = ["a", "b", "c", "d", "e", "f"]

relation_strategy = st.tuples(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.floats(min_value=0.0, max_value=10.0, allow_nan=False),
)


# --- influence -----------------------------------------------------------------------------


def test_star_centre_is_most_influential() -> None:
    leaves = [f"leaf{i}" for i in range(5)]
    scores = influence(["hub", *leaves], [("hub", leaf, 1.0) for leaf in leaves])
    assert max(scores, key=lambda node: scores[node]) == "hub"
    assert all(scores["hub"] > 3 * scores[leaf] for leaf in leaves)
    # Symmetric leaves are indistinguishable.
    assert len({round(scores[leaf], 12) for leaf in leaves}) == 1


def test_influence_flows_to_the_source_not_the_target() -> None:
    # "boss" has power over "worker": the boss, not the worker, gains influence.
    scores = influence(["boss", "worker"], [("boss", "worker", 1.0)])
    assert scores["boss"] > scores["worker"]
    # Solved by hand: I(w) = (1-d)/2 + d*I(b)/2 (boss is dangling) and I(b) = 1 - I(w),
    # so I(w) = 0.5 / (1 + d/2).
    assert scores["worker"] == pytest.approx(0.5 / 1.425, abs=1e-9)


def test_power_over_influential_nodes_counts_more() -> None:
    # top controls mid, which controls three others; side controls one powerless node.
    relations = [
        ("top", "mid", 1.0),
        ("mid", "x1", 1.0),
        ("mid", "x2", 1.0),
        ("mid", "x3", 1.0),
        ("side", "y", 1.0),
    ]
    scores = influence(["top", "mid", "x1", "x2", "x3", "side", "y"], relations)
    assert scores["top"] > scores["side"]


def test_weights_split_a_subordinates_influence() -> None:
    scores = influence(["a", "b", "t"], [("a", "t", 3.0), ("b", "t", 1.0)])
    assert scores["a"] > scores["b"]


def test_influences_sum_to_one_and_isolated_nodes_present() -> None:
    nodes = ["a", "b", "c", "loner", "hermit"]
    scores = influence(nodes, [("a", "b", 2.0), ("b", "c", 1.0), ("c", "a", 0.5)])
    assert set(scores) == set(nodes)
    assert math.fsum(scores.values()) == pytest.approx(1.0, abs=1e-12)
    assert scores["loner"] == pytest.approx(scores["hermit"])
    assert scores["loner"] > 0.0


def test_influence_no_relations_is_uniform_and_empty_is_empty() -> None:
    assert influence(["x", "y", "z", "w"], []) == pytest.approx(dict.fromkeys("xyzw", 0.25))
    assert influence([], []) == {}


def test_self_relations_ignored() -> None:
    assert influence(["a", "b"], [("a", "a", 5.0)]) == pytest.approx({"a": 0.5, "b": 0.5})


def test_influence_validates_input() -> None:
    with pytest.raises(ValueError, match="unknown node 'ghost'"):
        influence(["a"], [("a", "ghost", 1.0)])
    with pytest.raises(ValueError, match="weight"):
        influence(["a", "b"], [("a", "b", -1.0)])
    with pytest.raises(ValueError, match="damping"):
        influence(["a"], [], damping=1.0)


@settings(max_examples=50, deadline=None)
@given(relations=st.lists(relation_strategy, max_size=15), data=st.data())
def test_influence_is_a_distribution_independent_of_input_order(
    relations: list[tuple[str, str, float]], data: st.DataObject
) -> None:
    scores = influence(NAMES, relations)
    assert set(scores) == set(NAMES)
    assert math.fsum(scores.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(value > 0.0 for value in scores.values())
    shuffled = data.draw(st.permutations(relations))
    assert influence(list(reversed(NAMES)), shuffled) == pytest.approx(scores, abs=1e-9)


# --- coalitions ----------------------------------------------------------------------------

COALITION_RELATIONS = [
    ("a", "b", 0.9),
    ("c", "b", 0.7),  # direction is irrelevant for coalitions
    ("d", "e", 0.8),
    ("e", "f", 0.3),
    ("g", "a", 0.2),
]
COALITION_NODES = ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_coalitions_threshold_behaviour() -> None:
    assert coalitions(COALITION_NODES, COALITION_RELATIONS, threshold=0.5) == [
        ["a", "b", "c"],
        ["d", "e"],
    ]
    # Weight exactly at the threshold counts (c-b is 0.7) ...
    assert coalitions(COALITION_NODES, COALITION_RELATIONS, threshold=0.7) == [
        ["a", "b", "c"],
        ["d", "e"],
    ]
    # ... and just above it c drops out; equal sizes are ordered by first member.
    assert coalitions(COALITION_NODES, COALITION_RELATIONS, threshold=0.75) == [
        ["a", "b"],
        ["d", "e"],
    ]
    assert coalitions(COALITION_NODES, COALITION_RELATIONS, threshold=0.95) == []
    # Low threshold: transitive chains merge; "h" has no relations and never appears.
    assert coalitions(COALITION_NODES, COALITION_RELATIONS, threshold=0.0) == [
        ["a", "b", "c", "g"],
        ["d", "e", "f"],
    ]


def test_coalitions_ordering_ties_by_first_member() -> None:
    relations = [("z", "y", 1.0), ("b", "a", 1.0), ("m", "n", 1.0)]
    assert coalitions(["a", "b", "m", "n", "y", "z"], relations, threshold=1.0) == [
        ["a", "b"],
        ["m", "n"],
        ["y", "z"],
    ]


def test_coalitions_validate_input() -> None:
    with pytest.raises(ValueError, match="unknown node"):
        coalitions(["a"], [("a", "b", 1.0)], threshold=0.5)
    with pytest.raises(ValueError, match="threshold"):
        coalitions(["a"], [], threshold=math.nan)


@settings(max_examples=50, deadline=None)
@given(
    relations=st.lists(relation_strategy, max_size=15),
    threshold=st.floats(min_value=0.0, max_value=10.0, allow_nan=False),
)
def test_coalitions_partition_strongly_related_nodes(
    relations: list[tuple[str, str, float]], threshold: float
) -> None:
    groups = coalitions(NAMES, relations, threshold)
    members = [node for group in groups for node in group]
    assert len(members) == len(set(members))  # disjoint
    assert all(len(group) >= 2 and group == sorted(group) for group in groups)
    assert groups == sorted(groups, key=lambda group: (-len(group), group[0]))
    group_of = {node: index for index, group in enumerate(groups) for node in group}
    for source, target, weight in relations:
        if weight >= threshold and source != target:
            assert group_of[source] == group_of[target]


# --- transfer_power ------------------------------------------------------------------------


def test_transfer_moves_power_and_does_not_mutate_input() -> None:
    balances = {"a": 10.0, "b": 5.0, "c": 1.0}
    result = transfer_power(balances, "a", "b", 4.0)
    assert result == {"a": 6.0, "b": 9.0, "c": 1.0}
    assert balances == {"a": 10.0, "b": 5.0, "c": 1.0}


def test_transfer_entire_balance_allowed() -> None:
    assert transfer_power({"a": 3.0, "b": 0.0}, "a", "b", 3.0) == {"a": 0.0, "b": 3.0}


@pytest.mark.parametrize(
    ("source", "target", "amount", "message"),
    [
        ("a", "b", 0.0, "amount must be"),
        ("a", "b", -1.0, "amount must be"),
        ("a", "b", math.nan, "amount must be"),
        ("a", "b", math.inf, "amount must be"),
        ("a", "a", 1.0, "must differ"),
        ("ghost", "b", 1.0, "source 'ghost' has no power balance"),
        ("a", "ghost", 1.0, "target 'ghost' has no power balance"),
        ("b", "a", 5.5, "source 'b' has insufficient power"),
    ],
)
def test_transfer_rules(source: str, target: str, amount: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        transfer_power({"a": 10.0, "b": 5.0}, source, target, amount)


@settings(max_examples=50, deadline=None)
@given(
    balances=st.dictionaries(
        keys=st.sampled_from(NAMES),
        values=st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
        min_size=2,
    ),
    data=st.data(),
)
def test_transfer_preserves_total_power(balances: dict[str, float], data: st.DataObject) -> None:
    source, target = data.draw(st.permutations(sorted(balances)))[:2]
    if balances[source] == 0.0:
        with pytest.raises(ValueError):
            transfer_power(balances, source, target, 1.0)
        return
    amount = data.draw(st.floats(min_value=0.0, max_value=balances[source], exclude_min=True))
    result = transfer_power(balances, source, target, amount)
    assert set(result) == set(balances)
    assert math.fsum(result.values()) == pytest.approx(math.fsum(balances.values()), rel=1e-12)
    assert result[source] >= 0.0
    assert all(result[node] == balances[node] for node in balances if node not in (source, target))
