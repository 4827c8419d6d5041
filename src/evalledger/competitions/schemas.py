"""API shapes of the competitions domain, shared by REST, ``Ledger`` and ``Client``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from evalledger.agents.schemas import CustodyTestRecorded, Difficulty, StrictModel

AgentName = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.:-]+$")]
Score = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
XP = Annotated[int, Field(ge=0, le=1_000_000)]
Learning = Annotated[float, Field(allow_inf_nan=False, ge=-1_000_000, le=1_000_000)]

RatingMethod = Literal["elo", "bradley_terry", "xp"]

#: Most bootstrap rounds a leaderboard request may ask for (CPU time grows linearly).
MAX_BOOTSTRAP_ROUNDS = 1000


class EventIn(StrictModel):
    """One multi-agent event (``POST /api/v1/events``).

    Per-agent dicts (``answers``, ``scores``, ``xp_awarded``, ``learning_awarded``,
    ``penalties``) may only name participants; ``winners`` must be participants.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2a9e-3b7d-4e0a-9c55-2d4f8a1b7e10",
                    "event_type": "olympics",
                    "participants": ["guardian", "imperium", "sandbox"],
                    "questions": ["Design a rate limiter", "Find the bug in this diff"],
                    "answers": {"guardian": "...", "imperium": "...", "sandbox": "..."},
                    "scores": {"guardian": 92, "imperium": 78, "sandbox": 78},
                    "xp_awarded": {"guardian": 120, "imperium": 40, "sandbox": 40},
                    "learning_awarded": {"guardian": 2.0, "imperium": 1.0},
                    "penalties": {"sandbox": 15},
                    "winners": ["guardian"],
                    "event_metadata": {"round": 3},
                }
            ]
        },
    )

    id: uuid.UUID | None = Field(
        None, description="Client-supplied id; recording the same id again changes nothing."
    )
    event_type: str = Field(min_length=1, max_length=50, examples=["olympics"])
    participants: list[AgentName] = Field(min_length=1, max_length=1000)
    questions: list[Any] = Field(default_factory=list, max_length=10_000)
    answers: dict[str, Any] | None = None
    scores: dict[str, Score] | None = Field(
        None, description="agent -> score in this event (higher is better); feeds the ratings"
    )
    xp_awarded: dict[str, XP] | None = Field(None, description="agent -> XP added to its xp")
    learning_awarded: dict[str, Learning] | None = Field(
        None, description="agent -> amount added to its learning_score"
    )
    penalties: dict[str, XP] | None = Field(
        None, description="agent -> XP taken off its xp (never below 0)"
    )
    winners: list[AgentName] = Field(default_factory=list, max_length=1000)
    event_metadata: dict[str, Any] | None = None


class EventOut(BaseModel):
    """A stored event, as recorded."""

    id: uuid.UUID
    event_type: str
    participants: list[str]
    questions: list[Any]
    answers: dict[str, Any] | None = None
    scores: dict[str, float] | None = None
    xp_awarded: dict[str, int] | None = None
    learning_awarded: dict[str, float] | None = None
    penalties: dict[str, int] | None = None
    winners: list[str] = Field(default_factory=list)
    event_metadata: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class ParticipantApplied(BaseModel):
    """What recording an event did to one participant, and where it left the agent."""

    agent_type: str
    xp_delta: int = Field(description="net change of xp: xp awarded minus the penalty taken")
    learning_delta: float
    won: bool
    xp: int
    level: int
    prestige: int
    learning_score: float
    adversarial_wins: int


class EventRecorded(BaseModel):
    status: Literal["success"] = "success"
    message: str
    duplicate: bool = Field(
        False, description="true when this id was already recorded (nothing changed)"
    )
    event: EventOut
    applied: list[ParticipantApplied] = Field(
        default_factory=list, description="empty for a duplicate"
    )


class EventTypeCount(BaseModel):
    event_type: str
    events: int


class AgentEventStats(BaseModel):
    agent_type: str
    events: int
    wins: int
    average_score: float | None = Field(None, description="over events that scored the agent")
    xp_awarded: int
    penalties: int
    learning_awarded: float


class EventStats(BaseModel):
    total_events: int
    by_type: list[EventTypeCount]
    agents: list[AgentEventStats]


class OlympusTreatyIn(StrictModel):
    """One Olympus treaty result (``POST /api/v1/olympus-treaty/{agent_type}``)."""

    id: uuid.UUID | None = Field(
        None, description="Client-supplied id; sending the same id again changes nothing."
    )
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    threshold: float = Field(ge=0, le=100, allow_inf_nan=False)
    passed: bool | None = Field(None, description="omit to use score >= threshold")
    scenario: str | None = Field(None, max_length=100_000)
    ai_response: str | None = Field(None, max_length=1_000_000)
    evaluation: Any | None = None
    explainability_data: Any | None = None
    duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="seconds")
    timestamp: AwareDatetime | None = None
    xp_awarded: int | None = Field(
        None, ge=0, le=1_000_000, description="omit to use the progression rules' default"
    )
    learning_score_awarded: float = Field(0.0, ge=0, le=1_000_000, allow_inf_nan=False)
    test_id: str | None = Field(None, min_length=1, max_length=100)
    test_category: str = Field("olympus", min_length=1, max_length=50)
    test_difficulty: Difficulty | None = Field(
        None, description="omit to use the agent's current difficulty"
    )


class CollaborativeParticipant(StrictModel):
    agent_type: AgentName
    id: uuid.UUID | None = Field(
        None, description="Client-supplied id of this participant's result row (retry-safe)."
    )
    passed: bool
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    xp_awarded: int | None = Field(
        None, ge=0, le=1_000_000, description="omit to use the progression rules' default"
    )
    learning_score_awarded: float = Field(0.0, ge=0, le=1_000_000, allow_inf_nan=False)
    duration: float | None = Field(None, ge=0, allow_inf_nan=False)
    explainability_data: Any | None = None
    evaluation: Any | None = None


class CollaborativeTestIn(StrictModel):
    """One test taken by several agents together (``POST /api/v1/collaborative-tests``)."""

    test_id: str | None = Field(
        None, min_length=1, max_length=100, description="shared by every participant's row"
    )
    test_category: str = Field("collaborative", min_length=1, max_length=50)
    test_difficulty: Difficulty | None = None
    timestamp: AwareDatetime | None = None
    ai_responses: Any | None = Field(None, description="the shared responses, on every row")
    participants: list[CollaborativeParticipant] = Field(min_length=1, max_length=1000)


class CollaborativeTestRecorded(BaseModel):
    status: Literal["success"] = "success"
    test_id: str
    results: list[CustodyTestRecorded]


class LeaderboardEntry(BaseModel):
    rank: int
    agent_type: str
    rating: float | None = Field(None, description="null: no scored pairwise outcome yet")
    lower: float | None = Field(None, description="bootstrap lower bound (elo/bradley_terry)")
    upper: float | None = Field(None, description="bootstrap upper bound (elo/bradley_terry)")
    events: int = Field(description="scored events the agent took part in")
    level: int
    xp: int
    pass_rate: float
    adversarial_wins: int


class Leaderboard(BaseModel):
    method: RatingMethod
    confidence: float | None = None
    rounds: int | None = None
    seed: int | None = None
    events: int = Field(description="scored events the ratings were computed from")
    entries: list[LeaderboardEntry]
