"""What the Client sends for the competitions and power operations whose REST names predate
their declarations, and which of their writes it may repeat after a lost connection."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from evalledger.competitions.operations import CompetitionsOperations
from evalledger.errors import ValidationFailed
from evalledger.operations.remote import request_parts
from evalledger.operations.spec import Operation
from evalledger.power.operations import PowerOperations


def sent(op: Operation[Any, Any, Any], *args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    path, query, _, _ = request_parts(op, op.signature.bind(args, kwargs))
    return path, query


def test_event_type_travels_as_the_type_query_parameter() -> None:
    path, query = sent(CompetitionsOperations.list_events, event_type="duel", limit=5)
    assert (path, query) == ("/api/v1/events", {"type": "duel", "limit": 5})
    assert sent(CompetitionsOperations.event_stats, event_type="melee")[1] == {"type": "melee"}


def test_a_node_name_travels_as_the_name_path_segment() -> None:
    path, _ = sent(PowerOperations.power_node_metrics, "a/b c")
    assert path == "/api/v1/power/nodes/a%2Fb%20c/metrics"


def test_a_bad_event_type_names_the_python_parameter() -> None:
    with pytest.raises(ValidationFailed) as info:
        sent(CompetitionsOperations.list_events, event_type="x" * 51)
    assert info.value.field == "event_type"


@pytest.mark.parametrize(
    ("op", "args", "safe"),
    [
        (
            CompetitionsOperations.record_event,
            ({"event_type": "duel", "participants": ["a"]},),
            False,
        ),
        (
            CompetitionsOperations.record_event,
            ({"id": uuid.uuid4(), "event_type": "duel", "participants": ["a"]},),
            True,
        ),
        (
            CompetitionsOperations.administer_olympus_treaty,
            ("a", {"score": 1, "threshold": 1}),
            False,
        ),
        (
            CompetitionsOperations.administer_olympus_treaty,
            ("a", {"id": uuid.uuid4(), "score": 1, "threshold": 1}),
            True,
        ),
        (
            CompetitionsOperations.record_collaborative_test,
            ({"participants": [{"agent_type": "a", "passed": True, "score": 1}]},),
            False,
        ),
        (
            CompetitionsOperations.record_collaborative_test,
            (
                {
                    "participants": [
                        {"agent_type": "a", "id": uuid.uuid4(), "passed": True, "score": 1}
                    ]
                },
            ),
            True,
        ),
        (PowerOperations.transfer_power, ({"source": "a", "target": "b", "amount": 1},), False),
        (PowerOperations.set_power_relation, ({"source": "a", "target": "b", "weight": 1},), True),
    ],
)
def test_writes_the_client_may_repeat(
    op: Operation[Any, Any, Any], args: tuple[Any, ...], safe: bool
) -> None:
    assert op.retry_safe_for(op.signature.bind(args, {})) is safe
