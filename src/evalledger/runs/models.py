"""Evaluation runs: what a harness (Inspect AI, lm-evaluation-harness, promptfoo, OpenAI evals)
or an SDK caller ran, the samples it scored, and the metrics it reported.

Four tables, split by how they are read:

* ``eval_runs`` -- one row per run: listing and filtering runs reads only this.
* ``eval_run_metrics`` -- the aggregate metrics as the harness reported them (accuracy, its
  stderr...), one row per (scorer, metric), kept verbatim so evalledger's own statistics can
  be checked against them.
* ``eval_run_summaries`` -- per scorer, the run's statistics inputs (counts, the sum and sum
  of squares of the per-sample means...), computed once when the run is written: a run's
  samples never change after, and ``runs show`` must not scan a million of them.
* ``eval_samples`` and ``eval_sample_scores`` -- one row per (sample id, epoch), and one per
  scorer of it: the numbers comparisons scan. A score repeats its sample's id and epoch so
  that "the samples scorer S failed", in sample order, is one index range.
* ``eval_sample_texts`` -- the large texts of a sample (input, target, output, messages,
  answers and explanations): read only when a sample is shown or exported.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime


class EvalRun(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "eval_runs"
    __table_args__ = (
        UniqueConstraint("project_id", "harness", "external_id"),
        Index("idx_eval_runs_task", "project_id", "task", "created_at", "id"),
        Index("idx_eval_runs_model", "project_id", "model", "created_at", "id"),
        Index("idx_eval_runs_recent", "project_id", "created_at", "id"),
    )

    harness: Mapped[str] = mapped_column(String(40), nullable=False)
    harness_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: the harness's own identity of the run (Inspect eval_id, promptfoo evalId + provider +
    #: prompt, OpenAI run_id, lm-eval file date + task); with ``harness``, unique per project
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    task: Mapped[str] = mapped_column(String(255), nullable=False)
    task_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dataset_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    dataset_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    model: Mapped[str | None] = mapped_column(String(255), nullable=True)
    model_args: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    generation_config: Mapped[dict[str, Any]] = mapped_column(
        JSONType, nullable=False, default=dict
    )
    solver: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    scorers: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    git_revision: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONType, nullable=False, default=dict
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="success")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source_file: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    agent_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sample_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class EvalRunMetric(UUIDMixin, ProjectScopedMixin, Base):
    __tablename__ = "eval_run_metrics"
    __table_args__ = (UniqueConstraint("run_id", "scorer", "metric"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False
    )
    scorer: Mapped[str] = mapped_column(String(255), nullable=False)
    metric: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class EvalRunSummary(ProjectScopedMixin, Base):
    """One scorer over one run's stored samples, as :mod:`evalledger.runs.summary` needs it.

    Written by one ``INSERT ... SELECT`` at the end of recording or importing the run
    (:func:`evalledger.runs.repository.store_summaries`); ``verify`` recomputes it from the
    samples and reports a row that disagrees."""

    __tablename__ = "eval_run_summaries"

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True
    )
    scorer: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: score rows, the ones with a value, and the ones passed
    samples: Mapped[int] = mapped_column(Integer, nullable=False)
    scored: Mapped[int] = mapped_column(Integer, nullable=False)
    passed: Mapped[int] = mapped_column(Integer, nullable=False)
    #: sample ids with a value (the clusters), the sum and the sum of squares of their means
    clusters: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_squares: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: sample ids whose mean is 1; ones scored more than once; ones with a value not 0 or 1
    successes: Mapped[int] = mapped_column(Integer, nullable=False)
    multi_epoch: Mapped[int] = mapped_column(Integer, nullable=False)
    non_binary: Mapped[int] = mapped_column(Integer, nullable=False)


class EvalSample(UUIDMixin, ProjectScopedMixin, Base):
    __tablename__ = "eval_samples"
    __table_args__ = (UniqueConstraint("run_id", "sample_id", "epoch"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False
    )
    #: the harness's sample id as text (Inspect ids may be numbers), with ``epoch`` from 1
    sample_id: Mapped[str] = mapped_column(String(255), nullable=False)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    total_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EvalSampleScore(UUIDMixin, ProjectScopedMixin, Base):
    __tablename__ = "eval_sample_scores"
    __table_args__ = (
        UniqueConstraint("sample_pk", "scorer"),
        Index("idx_eval_sample_scores_page", "run_id", "scorer", "passed", "sample_id", "epoch"),
    )

    sample_pk: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_samples.id", ondelete="CASCADE"), nullable=False
    )
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False
    )
    #: the sample's ``sample_id`` and ``epoch``, repeated: the order of a page of samples
    sample_id: Mapped[str] = mapped_column(String(255), nullable=False)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False)
    scorer: Mapped[str] = mapped_column(String(255), nullable=False)
    #: the score as a number (Inspect's letter grades: C 1, P 0.5, I and N 0)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: the harness's verdict where it gives one, else ``value >= 1``
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: the value exactly as the harness wrote it ("C", true, 0.75, {"a": 1})
    raw: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


class EvalSampleText(ProjectScopedMixin, Base):
    __tablename__ = "eval_sample_texts"

    sample_pk: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("eval_samples.id", ondelete="CASCADE"), primary_key=True
    )
    input: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    target: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    messages: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    #: per scorer: {"answer", "explanation", "metadata"}
    explanations: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONType, nullable=False, default=dict
    )
