"""API shapes of the agent-metrics domain (seed 001), shared by REST, ``Ledger`` and ``Client``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from evalledger.agents.progression import DIFFICULTY_LADDER
from evalledger.agents.result_fields import AgentVersion, Metadata, Metrics, Tags, TokenCount
from evalledger.schema.types import RequestModel

AGENT_TYPE_PATTERN = r"^[A-Za-z0-9_.:-]+$"
AgentType = Field(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)
AgentTypeKey = Annotated[
    str, StringConstraints(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)
]
Difficulty = Literal["basic", "intermediate", "advanced", "expert", "master", "legendary"]
assert tuple(Difficulty.__args__) == DIFFICULTY_LADDER  # type: ignore[attr-defined]

#: Fields computed from recorded results. Writing them directly would break the invariant
#: that counters equal their results, so update requests that name them are refused.
DERIVED_FIELDS = frozenset(
    {
        "learning_score",
        "success_rate",
        "failure_rate",
        "pass_rate",
        "total_learning_cycles",
        "learning_successes",
        "learning_failures",
        "xp",
        "level",
        "prestige",
        "current_difficulty",
        "total_tests_given",
        "total_tests_passed",
        "total_tests_failed",
        "consecutive_successes",
        "consecutive_failures",
        "last_test_date",
        "test_history",
        "custody_level",
        "custody_xp",
        "adversarial_wins",
        "learning_patterns",
        "improvement_suggestions",
    }
)


class StrictModel(RequestModel):
    """Request bodies: unknown fields are an error (a typo is not silently ignored), and
    ``true``/``false`` is not a number (see :class:`evalledger.schema.types.RequestModel`)."""


#: The fields of :class:`CustodyTestIn` that take numbers (and so refuse ``true``/``false``,
#: as :class:`~evalledger.schema.types.RequestModel` checks for every number field).
CUSTODY_NUMBER_FIELDS = (
    "score",
    "duration",
    "xp_awarded",
    "learning_score_awarded",
    "threshold",
    "input_tokens",
    "output_tokens",
)


class CustodyTestIn(StrictModel):
    """One custody test result (``POST /api/agent-metrics/{agent_type}/custody-test``)."""

    id: uuid.UUID | None = Field(
        None, description="Client-supplied id; sending the same id again changes nothing."
    )
    passed: bool
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="seconds")
    timestamp: AwareDatetime | None = Field(None, description="when the test ran")
    xp_awarded: int | None = Field(
        None, ge=0, le=1_000_000, description="omit to use the progression rules' default"
    )
    learning_score_awarded: float = Field(0.0, ge=0, le=1_000_000, allow_inf_nan=False)
    test_id: str | None = Field(None, min_length=1, max_length=100)
    test_category: str = Field("general", min_length=1, max_length=50)
    test_difficulty: Difficulty | None = Field(
        None, description="omit to use the agent's current difficulty"
    )
    test_type: str = Field("single", min_length=1, max_length=50)
    ai_responses: Any | None = None
    explainability_data: Any | None = None
    evaluation: Any | None = None
    threshold: float | None = Field(None, allow_inf_nan=False)
    scenario: str | None = Field(None, max_length=100_000)
    ai_response: str | None = Field(None, max_length=1_000_000)
    tags: Tags = Field(default_factory=list, description="short labels to find results by")
    metadata: Metadata = Field(
        default_factory=dict, description="free-form JSON object (filter with metadata=key=value)"
    )
    agent_version: AgentVersion | None = Field(
        None, description="the version of the agent, model or prompt that produced the result"
    )
    metrics: Metrics = Field(
        default_factory=dict, description='named extra numbers, e.g. {"latency_ms": 812}'
    )
    input_tokens: TokenCount | None = None
    output_tokens: TokenCount | None = None


class CustodyTestOut(BaseModel):
    """A stored result, as it appears in ``test_history``."""

    id: uuid.UUID
    ai_type: str
    test_id: str
    test_category: str
    test_difficulty: str
    test_type: str
    passed: bool
    score: float
    xp_awarded: int
    learning_score_awarded: float
    duration: float | None = None
    timestamp: datetime | None = None
    ai_responses: Any | None = None
    explainability_data: Any | None = None
    evaluation: Any | None = None
    threshold: float | None = None
    scenario: str | None = None
    ai_response: str | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    agent_version: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    input_tokens: int | None = None
    output_tokens: int | None = None
    created_at: datetime


class CustodyMetrics(BaseModel):
    total_tests_given: int
    total_tests_passed: int
    total_tests_failed: int
    pass_rate: float
    consecutive_successes: int
    consecutive_failures: int
    current_difficulty: str
    custody_level: int
    custody_xp: int
    xp: int
    level: int
    prestige: int
    last_test_date: datetime | None = None
    adversarial_wins: int = 0


class CustodyTestRecorded(BaseModel):
    """The LVL_UP custody-test response, plus the stored result's id."""

    status: Literal["success"] = "success"
    agent_type: str
    message: str
    result_id: uuid.UUID
    duplicate: bool = Field(
        False, description="true when this id was already recorded (nothing changed)"
    )
    updated_custody_metrics: CustodyMetrics


class AgentMetricsOut(BaseModel):
    """All of one agent's metrics; ``test_history`` is its newest results, newest first."""

    id: uuid.UUID
    agent_id: str
    agent_type: str
    learning_score: float
    success_rate: float
    failure_rate: float
    pass_rate: float
    total_learning_cycles: int
    xp: int
    level: int
    prestige: int
    current_difficulty: str
    total_tests_given: int
    total_tests_passed: int
    total_tests_failed: int
    consecutive_successes: int
    consecutive_failures: int
    last_test_date: datetime | None
    test_history: list[CustodyTestOut] = Field(default_factory=list)
    custody_level: int
    custody_xp: int
    adversarial_wins: int
    learning_patterns: list[Any]
    improvement_suggestions: list[Any]
    status: str
    is_active: bool
    priority: str
    capabilities: dict[str, Any] | None
    config: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class AgentMetricsUpdate(StrictModel):
    """Fields a client may set directly. Counters are derived from results and refused."""

    agent_id: str | None = Field(None, min_length=1, max_length=100)
    status: str | None = Field(None, min_length=1, max_length=20)
    is_active: bool | None = None
    priority: Literal["low", "medium", "high", "critical"] | None = None
    capabilities: dict[str, Any] | None = None
    config: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            derived = sorted(DERIVED_FIELDS & set(data))
            if derived:
                raise ValueError(
                    f"{', '.join(derived)}: derived from recorded results and cannot be set "
                    "directly; record a custody test or a learning update instead"
                )
        return data


class LearningIn(StrictModel):
    """One learning cycle (``POST /api/agent-metrics/{agent_type}/learning``)."""

    learning_score_delta: float = Field(0.0, ge=-1_000_000, le=1_000_000, allow_inf_nan=False)
    successes: int = Field(0, ge=0, le=1_000_000)
    failures: int = Field(0, ge=0, le=1_000_000)
    patterns: list[Any] = Field(default_factory=list, max_length=10_000)
    suggestions: list[Any] = Field(default_factory=list, max_length=10_000)


class BulkUpdateIn(StrictModel):
    """``POST /api/agent-metrics/bulk-update``: agent type -> fields, applied all or nothing."""

    updates: dict[AgentTypeKey, AgentMetricsUpdate] = Field(min_length=1, max_length=10_000)


class AgentsSummary(BaseModel):
    total_learning_score: float
    total_xp: int
    total_tests_given: int
    total_tests_passed: int
    average_level: float


class AgentsOverview(BaseModel):
    """The LVL_UP ``GET /api/agent-metrics/`` overview."""

    status: Literal["success"] = "success"
    total_agents: int
    agents: list[str]
    summary: AgentsSummary


class AgentMetricsEnvelope(BaseModel):
    status: Literal["success"] = "success"
    agent_type: str
    metrics: AgentMetricsOut


class CustodyMetricsEnvelope(BaseModel):
    status: Literal["success"] = "success"
    agent_type: str
    custody_metrics: CustodyMetrics


class AgentUpdated(BaseModel):
    status: Literal["success"] = "success"
    agent_type: str
    message: str
    created: bool = False
    metrics: AgentMetricsOut


class BulkUpdated(BaseModel):
    status: Literal["success"] = "success"
    updated: list[str]
    total_updated: int


class AgentLeader(BaseModel):
    agent_type: str
    xp: int
    level: int
    pass_rate: float


class AnalyticsSummary(BaseModel):
    total_agents: int
    active_agents: int
    total_tests_given: int
    total_tests_passed: int
    total_tests_failed: int
    overall_pass_rate: float
    total_xp: int
    average_level: float
    average_learning_score: float
    total_learning_cycles: int
    difficulty_distribution: dict[str, int]
    top_agents: list[AgentLeader]
    agents_tested_last_24h: int = Field(
        description="agents whose latest result is less than 24 hours old"
    )


class AnalyticsEnvelope(BaseModel):
    status: Literal["success"] = "success"
    analytics: AnalyticsSummary


class BatchResultIn(CustodyTestIn):
    """One result of a batch: a custody test result plus the agent it belongs to."""

    agent_type: str = AgentType


class BatchIn(StrictModel):
    """``POST /api/v1/custody-tests:batch``: up to 10,000 results, applied all or nothing."""

    results: list[BatchResultIn] = Field(min_length=1, max_length=10_000)


class BatchResultOut(BaseModel):
    id: uuid.UUID
    agent_type: str
    duplicate: bool


class BatchRecorded(BaseModel):
    status: Literal["success"] = "success"
    recorded: int = Field(description="results written by this call")
    duplicates: int = Field(description="results whose id was already recorded (unchanged)")
    results: list[BatchResultOut]
    agents: dict[str, CustodyMetrics] = Field(description="each named agent's metrics after")
