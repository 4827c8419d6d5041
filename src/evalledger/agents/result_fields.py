"""The flexible fields of a result (tags, metadata, agent_version, metrics): bounded types.

A result says what produced it (``agent_version``), how to find it again (``tags``, free-form
``metadata``) and what else was measured (``metrics``: ``{"latency_ms": 812}``; token usage
has its own two columns, ``input_tokens`` and ``output_tokens``, so it can be summed in SQL).
Every value is bounded and storable on both databases alike: PostgreSQL's ``jsonb`` refuses
NUL and lone surrogates and has no NaN, so they are refused here, for every caller (REST, the
in-process ``Ledger``, the batch path), with an error naming the field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from evalledger.schema.storable import number_problem, text_problem

MAX_TAGS = 32
MAX_TAG_LENGTH = 64
MAX_METRICS = 64
#: ``metadata`` as compact JSON text, at most this many characters.
MAX_METADATA_CHARS = 16_384
MAX_METADATA_DEPTH = 8
#: Names of metrics and metadata keys a query can filter or group by.
NAME_PATTERN = r"^[A-Za-z0-9_.:-]+$"
#: Token counts (a bigint column; generous for any model).
MAX_TOKENS = 10**15


def check_text(value: str) -> str:
    """``value`` unless it holds NUL or a lone surrogate (the API's one rule for text)."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_json(value: Any, depth: int) -> None:
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"nested deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, float) and (problem := number_problem(value)) is not None:
        raise ValueError(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key))
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object storable on both databases and at most :data:`MAX_METADATA_CHARS`."""
    _check_json(value, 1)
    if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) > MAX_METADATA_CHARS:
        raise ValueError(f"at most {MAX_METADATA_CHARS} characters of JSON")
    return value


Tag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TAG_LENGTH),
    AfterValidator(check_text),
]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
MetricName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TAG_LENGTH, pattern=NAME_PATTERN)
]


def _not_a_boolean(value: Any) -> Any:
    # As everywhere in the API: true/false is not a number (Pydantic would read 1.0/0.0).
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


MetricValue = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
Metrics = Annotated[dict[MetricName, MetricValue], Field(max_length=MAX_METRICS)]
Metadata = Annotated[dict[str, Any], AfterValidator(check_metadata)]
AgentVersion = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(check_text)
]
TokenCount = Annotated[int, Field(ge=0, le=MAX_TOKENS)]
