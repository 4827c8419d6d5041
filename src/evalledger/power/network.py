"""Pure graph computations over a network of weighted "power" relations.

A relation ``(a, b, w)`` means *a has power over b* with strength ``w >= 0``. From such a
network this module derives each node's influence (a PageRank variant), the coalitions of
strongly related nodes, and validates power transfers between balances. Everything is pure
(stdlib only, no I/O), deterministic for a given input regardless of input order, and
strict about its input: a relation naming a node that is not in ``nodes`` is a data error,
reported rather than silently adding the node.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = ["coalitions", "influence", "transfer_power"]

Relation = tuple[str, str, float]
"""``(source, target, weight)``: ``source`` has power over ``target`` with strength ``weight``."""


def _check_graph(
    nodes: Iterable[str], relations: Iterable[Relation]
) -> tuple[list[str], list[Relation]]:
    """Deduplicate and sort nodes; validate relations against them."""
    node_list = sorted(set(nodes))
    known = set(node_list)
    checked: list[Relation] = []
    for source, target, weight in relations:
        for end in (source, target):
            if end not in known:
                raise ValueError(f"relation {source!r} -> {target!r} names unknown node {end!r}")
        if not (math.isfinite(weight) and weight >= 0.0):
            raise ValueError(
                f"relation {source!r} -> {target!r} weight must be finite and >= 0, got {weight!r}"
            )
        checked.append((source, target, weight))
    return node_list, checked


def influence(
    nodes: Iterable[str],
    relations: Iterable[Relation],
    damping: float = 0.85,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> dict[str, float]:
    """Each node's influence: a weighted PageRank in which influence flows to the *source*.

    Ordinary PageRank ranks a page by who points at it. Here an edge ``a -> b`` says "a has
    power over b", and we want a node to be influential if it holds strong power over
    influential nodes. So the walk runs against the edges: each node passes its influence
    to the nodes that have power over it, split in proportion to the weights of those
    relations, and

        I(a) = (1 - d) / N + d * (sum over b of I(b) * w(a->b) / W_in(b)  +  D / N)

    where ``W_in(b)`` is the total weight of relations over ``b`` and ``D`` is the influence
    held by nodes that nobody has power over (they spread it uniformly, the standard
    "dangling node" fix that keeps the result a probability distribution). The damping term
    gives every node a floor, so nodes without relations still appear with ``(1 - d) / N``
    plus their share of ``D``; influences sum to 1.

    Parallel relations are summed; self-relations (power over oneself) are ignored because
    they would let a node inflate its own influence. Zero-weight relations carry nothing.

    Power iteration stops when the L1 change drops below ``tol``; if ``max_iter`` is hit
    first the last iterate is returned, which is within ``2 * damping ** max_iter`` (L1) of
    the exact answer (about 2e-7 with the defaults), since each step contracts by ``damping``.
    """
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    node_list, checked = _check_graph(nodes, relations)
    n = len(node_list)
    if n == 0:
        return {}

    # controllers[b][a] = total weight of "a has power over b"; b's influence flows to each a.
    controllers: dict[str, dict[str, float]] = {node: {} for node in node_list}
    for source, target, weight in checked:
        if source != target and weight > 0.0:
            controllers[target][source] = controllers[target].get(source, 0.0) + weight
    outflow = {
        b: [(a, w / math.fsum(held.values())) for a, w in sorted(held.items())]
        for b, held in controllers.items()
        if held
    }
    dangling = [node for node in node_list if node not in outflow]

    score = dict.fromkeys(node_list, 1.0 / n)
    for _ in range(max_iter):
        dangling_mass = math.fsum(score[node] for node in dangling)
        base = (1.0 - damping) / n + damping * dangling_mass / n
        updated = dict.fromkeys(node_list, base)
        for b, shares in outflow.items():
            flow = damping * score[b]
            for a, share in shares:
                updated[a] += flow * share
        total = math.fsum(updated.values())
        updated = {node: value / total for node, value in updated.items()}
        change = math.fsum(abs(updated[node] - score[node]) for node in node_list)
        score = updated
        if change < tol:
            break
    return score


def coalitions(
    nodes: Iterable[str], relations: Iterable[Relation], threshold: float
) -> list[list[str]]:
    """Groups of nodes held together by relations of weight >= ``threshold``.

    Direction is ignored (a strong tie binds both ends), and membership is transitive, so
    coalitions are the connected components of the strong-relation graph, found with
    union-find. Singletons are not coalitions and are omitted. Each group is sorted and the
    groups are ordered largest first, then by first member, so the output is canonical.
    """
    if math.isnan(threshold):
        raise ValueError("threshold must be a number, got nan")
    node_list, checked = _check_graph(nodes, relations)
    parent = {node: node for node in node_list}

    def find(node: str) -> str:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for source, target, weight in checked:
        if weight >= threshold:
            root_s, root_t = find(source), find(target)
            if root_s != root_t:
                # Union by smaller name keeps the structure deterministic.
                low, high = sorted((root_s, root_t))
                parent[high] = low

    groups: dict[str, list[str]] = {}
    for node in node_list:
        groups.setdefault(find(node), []).append(node)
    result = [sorted(members) for members in groups.values() if len(members) >= 2]
    result.sort(key=lambda members: (-len(members), members[0]))
    return result


def transfer_power(
    balances: Mapping[str, float], source: str, target: str, amount: float
) -> dict[str, float]:
    """Validate a transfer of ``amount`` power from ``source`` to ``target``; return new balances.

    Pure on purpose: the caller persists the result (in one transaction) only after every
    rule has passed, so a rejected transfer can never leave a half-applied state. Rules, each
    failing with a ``ValueError`` naming the problem: ``amount`` is finite and > 0; ``source``
    and ``target`` differ; both exist in ``balances``; ``source`` holds at least ``amount``.
    The input mapping is not modified, and total power is conserved.
    """
    if not (math.isfinite(amount) and amount > 0.0):
        raise ValueError(f"amount must be a finite number > 0, got {amount!r}")
    if source == target:
        raise ValueError(f"source and target must differ, both are {source!r}")
    for role, node in (("source", source), ("target", target)):
        if node not in balances:
            raise ValueError(f"{role} {node!r} has no power balance")
    available = balances[source]
    if available < amount:
        raise ValueError(
            f"source {source!r} has insufficient power: balance {available!r} < amount {amount!r}"
        )
    updated = dict(balances)
    updated[source] = available - amount
    updated[target] = balances[target] + amount
    return updated
