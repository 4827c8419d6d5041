"""What a run, its samples and their scores look like on the way in and out.

One shape serves every source: an importer turns a harness's log into a :class:`RunIn` with
:class:`SampleIn` items, and an SDK or REST caller sends the same shape itself, so the results
of every harness land in the same tables and answer the same queries.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from evalledger.agents.result_fields import AgentVersion, Tags, TokenCount
from evalledger.schema.types import AwareIsoDatetime, RequestModel

Harness = Literal["inspect_ai", "lm_eval", "promptfoo", "openai_evals", "sdk"]
RunStatus = Literal["started", "success", "error", "cancelled"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ShortText = Annotated[str, StringConstraints(max_length=100)]
#: Samples in one request (an import of more is split into requests of this size).
MAX_SAMPLES_PER_REQUEST = 10_000


class ScoreIn(RequestModel):
    """One scorer's verdict on one sample."""

    value: float | None = Field(None, description="the score as a number; C/P/I/N as 1/0.5/0/0")
    passed: bool | None = Field(None, description="the harness's verdict; default value >= 1")
    raw: Any = Field(None, description="the value exactly as the harness wrote it")
    answer: str | None = Field(None, max_length=1_000_000)
    explanation: str | None = Field(None, max_length=1_000_000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class SampleIn(RequestModel):
    sample_id: Name
    epoch: int = Field(1, ge=1, le=100_000)
    input: Any = None
    target: Any = None
    output: str | None = Field(None, max_length=10_000_000)
    messages: Any = None
    scores: dict[Name, ScoreIn] = Field(default_factory=dict, max_length=64)
    input_tokens: TokenCount | None = None
    output_tokens: TokenCount | None = None
    total_time: float | None = Field(None, ge=0)
    error: str | None = Field(None, max_length=1_000_000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class RunIn(RequestModel):
    """A run with (some of) its samples. ``external_id`` is the run's identity: sending the same
    run again changes nothing; another run under the same id is a conflict."""

    harness: Harness = "sdk"
    harness_version: ShortText | None = None
    external_id: Name = Field(default_factory=lambda: str(uuid.uuid4()))
    task: Name
    task_version: ShortText | None = None
    dataset_name: Name | None = None
    dataset_hash: Annotated[str, StringConstraints(max_length=128)] | None = None
    model: Name | None = None
    model_args: dict[str, Any] = Field(default_factory=dict)
    generation_config: dict[str, Any] = Field(default_factory=dict)
    solver: Any = None
    scorers: list[Any] = Field(default_factory=list, max_length=64)
    git_revision: ShortText | None = None
    tags: Tags = Field(default_factory=list)
    #: what the harness wrote that has no column, verbatim (harness runs) or the caller's own
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: RunStatus = "success"
    started_at: AwareIsoDatetime | None = None
    completed_at: AwareIsoDatetime | None = None
    source_file: Annotated[str, StringConstraints(max_length=1000)] | None = None
    source_sha256: (
        Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9a-f]{64}$")] | None
    ) = None
    agent_type: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    agent_version: AgentVersion | None = None
    #: per scorer, per metric: the value the harness reported (``{"match": {"accuracy": 0.8}}``)
    metrics: dict[Name, dict[Name, float | None]] = Field(default_factory=dict, max_length=64)
    samples: list[SampleIn] = Field(default_factory=list, max_length=MAX_SAMPLES_PER_REQUEST)

    def content_sha256(self, *, ignoring: tuple[str, ...] = ()) -> str:
        """The SHA-256 of the run's canonical JSON without ``source_sha256`` (and the fields
        ``ignoring``): what identifies its content when no source file does."""
        body = self.model_dump(mode="json", exclude={"source_sha256", *ignoring})
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


class ScorerSummary(BaseModel):
    """One scorer over a run's samples: evalledger's own statistics beside the reported ones."""

    scorer: str
    samples: int
    scored: int
    passed: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    interval: str = Field(description="wilson (0/1 scores) or clustered normal (others)")
    reported: dict[str, float | None] = Field(description="the metrics as the harness reported")


class RunOut(BaseModel):
    id: uuid.UUID
    harness: str
    harness_version: str | None
    external_id: str
    task: str
    task_version: str | None
    dataset_name: str | None
    dataset_hash: str | None
    model: str | None
    model_args: dict[str, Any]
    generation_config: dict[str, Any]
    solver: Any
    scorers: list[Any]
    git_revision: str | None
    tags: list[str]
    metadata: dict[str, Any]
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    source_file: str | None
    source_sha256: str | None
    agent_type: str | None
    agent_version: str | None
    sample_count: int
    created_at: datetime
    summary: list[ScorerSummary] = Field(default_factory=list)


class RunRecorded(BaseModel):
    """What recording (or importing) a run did: ``created`` false means it was already there
    and nothing changed."""

    run: RunOut
    created: bool
    samples_written: int


class SampleScoreOut(BaseModel):
    value: float | None
    passed: bool | None
    raw: Any
    answer: str | None = None
    explanation: str | None = None


class SampleOut(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID
    sample_id: str
    epoch: int
    scores: dict[str, SampleScoreOut]
    input_tokens: int | None
    output_tokens: int | None
    total_time: float | None
    error: str | None
    input: Any = None
    target: Any = None
    output: str | None = None
    messages: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)
