"""Shapes of the results query and the grouped comparison, shared by REST, ``Ledger``, ``Client``.

:class:`ResultFilter` is the one description of "which results": the REST query parameters,
the SDK keyword arguments and the CLI options all become one, and the SQL is built from it in
one place (:mod:`evalledger.agents.results_query`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evalledger.agents.result_fields import MAX_TAGS, NAME_PATTERN, AgentVersion, Tag
from evalledger.agents.schemas import AGENT_TYPE_PATTERN, Difficulty
from evalledger.errors import ValidationFailed, from_validation_error
from evalledger.schema.types import IsoDatetime

#: How many ``metadata=key=value`` conditions one query may carry.
MAX_METADATA_FILTERS = 8
_KEY = re.compile(NAME_PATTERN)

ResultSort = Literal["time", "score"]
SortOrder = Literal["desc", "asc"]
SORTS: tuple[str, ...] = ("time", "score")
ORDERS: tuple[str, ...] = ("desc", "asc")
GROUP_BY_HELP = "agent_version, tag, category or metadata.KEY"
GROUP_BY_PATTERN = r"^(agent_version|tag|category|metadata\.[A-Za-z0-9_.:-]{1,64})$"


def parse_metadata_condition(text: str) -> str:
    """``key=value`` (the key a metric-style name, the value any text), checked."""
    key, sep, value = text.partition("=")
    if not sep or not key or len(key) > 64 or not _KEY.fullmatch(key):
        raise ValueError(
            "expected key=value with a key of letters, digits and _ . : - (at most 64)"
        )
    if len(value) > 200:
        raise ValueError("a metadata value to match is at most 200 characters")
    return text


MetadataCondition = Annotated[str, AfterValidator(parse_metadata_condition)]


class ResultFilter(BaseModel):
    """Which results: every condition given must hold (tags: all of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str | None = Field(None, min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)
    test_type: str | None = Field(None, min_length=1, max_length=50)
    category: str | None = Field(None, min_length=1, max_length=50)
    difficulty: Difficulty | None = None
    passed: bool | None = None
    min_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    max_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    since: IsoDatetime | None = Field(None, description="recorded at or after (inclusive)")
    until: IsoDatetime | None = Field(None, description="recorded before (exclusive)")
    tag: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    agent_version: AgentVersion | None = None
    metadata: list[MetadataCondition] = Field(default_factory=list, max_length=MAX_METADATA_FILTERS)

    @field_validator("since", "until")
    @classmethod
    def _naive_is_utc(cls, value: datetime | None) -> datetime | None:
        # As the CLI reads times: without an offset, a time is UTC.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _ranges_make_sense(self) -> ResultFilter:
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score > self.max_score
        ):
            raise ValidationFailed("min_score is greater than max_score", field="min_score")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValidationFailed("since is not before until", field="since")
        return self

    def metadata_pairs(self) -> list[tuple[str, str]]:
        return [tuple(c.split("=", 1)) for c in self.metadata]  # type: ignore[misc]


def result_filter(**values: Any) -> ResultFilter:
    """A :class:`ResultFilter` from keyword arguments, ``None``s meaning "any"."""
    given = {k: v for k, v in values.items() if v is not None}
    for name in ("tag", "metadata"):
        if isinstance(given.get(name), str):
            given[name] = [given[name]]
    try:
        return ResultFilter.model_validate(given)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


GroupBy = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=GROUP_BY_PATTERN,
        description=GROUP_BY_HELP,
    ),
]


class Interval(BaseModel):
    """A 95% interval ``[low, high]``."""

    low: float
    high: float


class ResultGroup(BaseModel):
    """One group of an agent's results (``key`` ``null``: results without the field)."""

    key: str | None
    count: int
    passed: int
    pass_rate: float
    pass_rate_interval: Interval = Field(description="Wilson score interval, 95%")
    mean_score: float
    mean_score_interval: Interval | None = Field(
        None, description="mean +/- 1.96 standard errors (sample sd), cut to 0-100; null under 2"
    )
    first_at: datetime
    last_at: datetime


class ResultsSummary(BaseModel):
    agent: str
    group_by: str
    since: datetime | None = None
    until: datetime | None = None
    groups: list[ResultGroup]


def check_group_by(group_by: str) -> str:
    if len(group_by) > 80 or not re.fullmatch(GROUP_BY_PATTERN, group_by):
        raise ValidationFailed(f"group_by: expected {GROUP_BY_HELP}", field="group_by")
    return group_by


class ExportedResults(BaseModel):
    """What ``export_results`` wrote: how many results, into which file."""

    count: int
    path: str
