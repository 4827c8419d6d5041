"""Realistic, deterministic demo data across every table, written through the public SDK.

``await generate(ledger, "small", seed=0)`` fills the ledger's project with agents that have
histories (custody-test batches, learning cycles, Olympus treaty results, collaborative
tests), multi-agent events, students with assessments and evidence, claims with
verifications and consensus decisions, training data (one batch claimed), model checkpoints
(one active), service heartbeats (one stale), verification requests, and the seed-004 groups
(consensus nodes/proposals/votes, framework executions/metrics/configuration/state, a power
network with a transfer, evolution agents across generations). It also creates a second
project with a little data of its own and, last, a read-scoped API key for the dashboard.

Deterministic: the same ``seed`` gives the same agents, scores, texts and ids. Timestamps of
custody results are spread over the 30 days before the run, so they depend on when it runs.

Idempotent: the dashboard key (``demo-dashboard``) is the data set's last write, so a project
that has it holds the whole set; then nothing is written (``generate`` is safe to run twice).
No row exists only to mark the data set: everything the demo writes means something to a
user of the dashboard.

The default agent ``sandbox`` is seeded but deliberately left without results: the
dashboard shows what a brand-new agent looks like.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update

from evalledger.db.base import DEFAULT_PROJECT_NAME
from evalledger.db.types import utcnow
from evalledger.errors import NotFoundError
from evalledger.tenancy import service as tenancy
from evalledger.tenancy.models import ApiKey, Project
from evalledger.uow import UnitOfWork
from evalledger.verification.models import ServiceHealth

if TYPE_CHECKING:
    from evalledger.sdk.ledger import Ledger

Size = Literal["small", "large"]

#: The name of the read key the demo creates for the dashboard, its last write.
DASHBOARD_KEY = "demo-dashboard"
SECOND_PROJECT = "demo-sandbox"
DIFFICULTIES = ("basic", "intermediate", "advanced", "expert", "master", "legendary")
CATEGORIES = ("reasoning", "safety", "coding", "retrieval", "planning", "ethics")
SKILLS = (
    "empathy",
    "problem_solving",
    "self_regulation",
    "resilience",
    "adaptability",
    "communication",
    "collaboration",
)
FRAMEWORKS = ("fact_check", "logic_proof", "source_trace", "stat_test")

#: agent -> (mean score, spread): the ones with results; ``sandbox`` is left empty.
PROFILES: dict[str, tuple[float, float]] = {
    "guardian": (84.0, 9.0),
    "imperium": (76.0, 12.0),
    "conquest": (68.0, 15.0),
    "athena": (88.0, 6.0),
    "hermes": (72.0, 14.0),
    "prometheus": (62.0, 18.0),
}


@dataclass(frozen=True)
class Plan:
    results: int  # custody results recorded through batches
    batch: int
    events: int
    students: int
    assessments_per_student: int
    claims: int
    requests: int
    training: int
    checkpoints: int
    proposals: int
    executions: int
    power_nodes: int
    evolution_generations: int


PLANS: dict[str, Plan] = {
    "small": Plan(
        results=240,
        batch=80,
        events=12,
        students=6,
        assessments_per_student=5,
        claims=8,
        requests=6,
        training=12,
        checkpoints=4,
        proposals=3,
        executions=8,
        power_nodes=5,
        evolution_generations=3,
    ),
    "large": Plan(
        results=100_000,
        batch=5_000,
        events=500,
        students=120,
        assessments_per_student=14,
        claims=300,
        requests=100,
        training=400,
        checkpoints=12,
        proposals=20,
        executions=200,
        power_nodes=12,
        evolution_generations=6,
    ),
}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _score(rng: random.Random, agent: str, drift: float = 0.0) -> float:
    mean, spread = PROFILES[agent]
    return round(min(100.0, max(0.0, rng.gauss(mean + drift, spread))), 1)


async def has_demo_data(ledger: Ledger) -> bool:
    """Whether the ledger's project already holds a complete demo data set (its dashboard
    key, the set's last write, exists; revoked or not)."""
    async with UnitOfWork(
        ledger.db, ledger.actor, write=False, tenant_scoped=False, primary=True
    ) as uow:
        found = await uow.session.scalar(
            select(ApiKey.id)
            .where(ApiKey.project_id == uow.project_id, ApiKey.name == DASHBOARD_KEY)
            .limit(1)
        )
    return found is not None


async def generate(
    ledger: Ledger,
    size: str = "small",
    seed: int = 0,
    *,
    on_key: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, int]:
    """Fill ``ledger``'s project with demo data; returns the rows created per kind
    (``custody_results`` counts every result row, treaty and collaborative ones included).

    Does nothing (returns ``{}``) when the project already holds demo data. ``on_key``
    receives the secret of the read-scoped key created for the dashboard (shown once).
    ``on_progress(done, total, part)`` is called after each part of the data set, and after
    each batch of custody results (the bulk of a large one), so a long fill shows progress.
    """
    if size not in PLANS:
        raise ValueError(f"size must be one of {sorted(PLANS)}, not {size!r}")
    plan = PLANS[size]
    counts: Counter[str] = Counter()
    if await has_demo_data(ledger):
        return {}
    project = await _project_name(ledger)
    rng = random.Random(_rng_seed(seed, project))
    batches = -(-plan.results // plan.batch)
    parts: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("competitions", lambda: _competitions(ledger, rng, plan, counts)),
        ("assessments", lambda: _assessments(ledger, rng, plan, counts)),
        ("verification", lambda: _verification(ledger, rng, plan, counts)),
        ("operations", lambda: _operations(ledger, rng, plan, counts)),
        ("consensus", lambda: _consensus(ledger, rng, plan, counts)),
        ("framework", lambda: _framework(ledger, rng, plan, counts)),
        ("power", lambda: _power(ledger, rng, plan, counts)),
        ("evolution", lambda: _evolution(ledger, rng, plan, counts)),
        ("runs", lambda: _runs(ledger, rng, plan, counts)),
        # Last: the dashboard key's presence means the whole data set was written.
        ("keys", lambda: _tenancy(ledger, project, rng, counts, on_key)),
    ]
    total = batches + 1 + len(parts)
    step = 0

    def advance(part: str) -> None:
        nonlocal step
        step += 1
        if on_progress is not None:
            on_progress(step, total, part)

    await _agents(ledger, rng, plan, counts, on_batch=lambda: advance("custody results"))
    advance("agents")
    for name, part in parts:
        await part()
        advance(name)
    return dict(counts)


def _rng_seed(seed: int, project: str) -> int | str:
    """The random seed of a project's data set. Ids are unique across projects, so each
    project draws its own (the default project keeps the plain ``seed``: same data as ever)."""
    return seed if project == DEFAULT_PROJECT_NAME else f"{seed}/{project}"


async def _project_name(ledger: Ledger) -> str:
    async with UnitOfWork(
        ledger.db, ledger.actor, write=False, tenant_scoped=False, primary=True
    ) as uow:
        name = await uow.session.scalar(select(Project.name).where(Project.id == uow.project_id))
    return str(name)


async def _agents(
    ledger: Ledger,
    rng: random.Random,
    plan: Plan,
    counts: Counter[str],
    on_batch: Callable[[], None],
) -> None:
    counts["agents"] += len(await ledger.seed_default_agents())
    for name in PROFILES:
        updated = await ledger.create_or_update_agent_metrics(
            name,
            {
                "priority": rng.choice(["low", "medium", "high", "critical"]),
                "capabilities": {"languages": rng.sample(["en", "fr", "de", "ja", "es"], 2)},
                "config": {"temperature": round(rng.uniform(0.1, 0.9), 2)},
            },
        )
        counts["agents"] += int(updated.created)
    agents = list(PROFILES)
    now = utcnow()
    span = timedelta(days=30).total_seconds()
    done = 0
    while done < plan.results:
        n = min(plan.batch, plan.results - done)
        batch = []
        for i in range(n):
            k = done + i
            agent = agents[k % len(agents)]
            progress = k / max(1, plan.results)
            score = _score(rng, agent, drift=8.0 * progress)  # agents improve over the month
            batch.append(
                {
                    "id": _uuid(rng),
                    "agent_type": agent,
                    "passed": score >= 70.0,
                    "score": score,
                    "duration": round(rng.uniform(0.4, 45.0), 2),
                    "timestamp": now - timedelta(seconds=span * (1 - progress)),
                    "test_category": rng.choice(CATEGORIES),
                    "test_id": f"t-{k:06d}",
                    "evaluation": {"rubric": rng.choice(["strict", "lenient"]), "notes": "ok"},
                }
            )
        recorded = await ledger.record_custody_tests(batch)
        counts["custody_results"] += recorded.recorded
        done += n
        on_batch()
    for cycle, agent in enumerate(agents):
        await ledger.update_learning_metrics(
            agent,
            {
                "learning_score_delta": round(rng.uniform(0.5, 4.0), 2),
                "successes": rng.randint(3, 12),
                "failures": rng.randint(0, 5),
                "patterns": [
                    {
                        "pattern": rng.choice(
                            [
                                "hedges under adversarial prompts",
                                "strong on multi-step arithmetic",
                                "cites sources reliably",
                                "drifts off-topic in long contexts",
                            ]
                        ),
                        "frequency": round(rng.uniform(0.1, 0.9), 2),
                    }
                ],
                "suggestions": [
                    rng.choice(
                        [
                            "add more counterfactual prompts",
                            "raise difficulty on planning tasks",
                            "review refusals on benign requests",
                            "practise long-context retrieval",
                        ]
                    )
                ],
            },
            idempotency_key=f"demo-learning-{seed_tag(rng)}-{cycle}",
        )
        counts["learning_updates"] += 1


def seed_tag(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


async def _competitions(
    ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]
) -> None:
    agents = list(PROFILES)
    for e in range(plan.events):
        participants = rng.sample(agents, rng.randint(2, min(5, len(agents))))
        scores = {a: _score(rng, a) for a in participants}
        best = max(scores.values())
        winners = sorted(a for a, s in scores.items() if s == best)
        await ledger.record_event(
            {
                "id": _uuid(rng),
                "event_type": rng.choice(["olympics", "debate", "red_team", "puzzle_hunt"]),
                "participants": participants,
                "questions": [f"question {e}.{q}" for q in range(rng.randint(1, 4))],
                "answers": {a: f"answer of {a}" for a in participants},
                "scores": scores,
                "xp_awarded": {a: 100 if a in winners else 30 for a in participants},
                "learning_awarded": {a: 1.0 for a in participants},
                "penalties": {participants[-1]: 5} if rng.random() < 0.2 else None,
                "winners": winners,
                "event_metadata": {"round": e + 1},
            }
        )
        counts["events"] += 1
    for agent in ("guardian", "athena"):
        score = _score(rng, agent)
        await ledger.administer_olympus_treaty(
            agent,
            {
                "id": _uuid(rng),
                "score": score,
                "threshold": 75.0,
                "scenario": "negotiate a treaty between rival city-states",
                "ai_response": "proposes shared water rights with staged audits",
                "evaluation": {"fairness": round(rng.uniform(0.5, 1), 2)},
            },
        )
        counts["olympus_treaty"] += 1
        counts["custody_results"] += 1  # a treaty result is a custody result row too
    for t in range(2):
        team = rng.sample(agents, 3)
        await ledger.record_collaborative_test(
            {
                "test_id": f"collab-{seed_tag(rng)}-{t}",
                "ai_responses": {"plan": "divide and verify"},
                "participants": [
                    {"agent_type": a, "id": _uuid(rng), "passed": True, "score": _score(rng, a)}
                    for a in team
                ],
            }
        )
        counts["collaborative_tests"] += 1
        counts["custody_results"] += len(team)  # one result row per participant


async def _assessments(
    ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]
) -> None:
    first = ["Ada", "Bo", "Chen", "Dara", "Emeka", "Fatima", "Gus", "Hana", "Ines", "Jonas"]
    last = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kim"]
    for s in range(plan.students):
        student = await ledger.create_student(
            {
                "id": _uuid(rng),
                "name": f"{rng.choice(first)} {rng.choice(last)}",
                "external_id": f"stu-{s:04d}",
                "metadata": {"cohort": 2025 + s % 2, "class": rng.choice("ABC")},
            }
        )
        counts["students"] += 1
        aptitude = rng.uniform(-0.15, 0.15)
        for a in range(plan.assessments_per_student):
            skill = SKILLS[(s + a) % len(SKILLS)]
            score = round(min(1.0, max(0.0, rng.gauss(0.62 + aptitude, 0.14))), 3)
            evidence = [
                {
                    "evidence_type": rng.choice(["linguistic", "behavioral", "contextual"]),
                    "source": rng.choice(["essay", "group_work", "interview", "journal"]),
                    "content": f"observed {skill.replace('_', ' ')} in activity {a + 1}",
                    "relevance_score": round(rng.uniform(0.3, 1.0), 3),
                }
                for _ in range(rng.randint(1, 3))
            ]
            await ledger.create_assessment(
                student.id,
                {
                    "id": _uuid(rng),
                    "skill_type": skill,
                    "score": score,
                    "confidence": round(rng.uniform(0.55, 0.98), 3),
                    "reasoning": f"{skill.replace('_', ' ')} shown consistently",
                    "recommendations": "practise with peer feedback",
                    "feature_importance": {"lexical": 0.4, "context": 0.35, "tone": 0.25},
                    "evidence": evidence,
                },
            )
            counts["assessments"] += 1
            counts["evidence"] += len(evidence)


async def _verification(
    ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]
) -> None:
    topics = [
        "The Eiffel Tower is taller than 300 metres",
        "Water boils at 90 degrees Celsius at sea level",
        "The median of 3, 9, 4 is 4",
        "Python's sort is stable",
        "Light from the Sun reaches Earth in about 8 minutes",
        "There are 366 days in every fourth year without exception",
    ]
    tag = seed_tag(rng)
    for c in range(plan.claims):
        external_id = f"demo-claim-{tag}-{c:04d}"
        truth = rng.random() < 0.6
        await ledger.create_claim(
            {
                "external_id": external_id,
                "content": topics[c % len(topics)],
                "claim_type": rng.choice(["factual", "mathematical", "technical"]),
                "source": rng.choice(["newsroom", "forum", "textbook"]),
                "metadata": {"batch": c // 10},
            }
        )
        counts["claims"] += 1
        for fw in rng.sample(FRAMEWORKS, rng.randint(2, len(FRAMEWORKS))):
            agrees = rng.random() < 0.8
            await ledger.create_verification(
                {
                    "claim_id": external_id,
                    "framework": fw,
                    "result": {"valid": truth if agrees else not truth},
                    "confidence": round(rng.uniform(0.5, 0.99), 3),
                    "evidence": {"sources": rng.randint(1, 6)},
                    "processing_time_ms": rng.randint(20, 2500),
                    "model_version": f"{fw}-v{rng.randint(1, 3)}",
                }
            )
            counts["verifications"] += 1
        rule = ("majority", "confidence_weighted", "unanimous")[c % 3]
        await ledger.compute_consensus(external_id, rule)
        counts["consensus_decisions"] += 1
    for r in range(plan.requests):
        request_id = f"demo-req-{tag}-{r:04d}"
        await ledger.create_verification_request(
            {
                "request_id": request_id,
                "client_id": rng.choice(["newsroom-bot", "edu-portal"]),
                "content": topics[r % len(topics)],
                "frameworks": rng.sample(FRAMEWORKS, 2),
                "priority": rng.randint(0, 5),
            }
        )
        counts["verification_requests"] += 1
        status = ("pending", "processing", "completed", "failed")[r % 4]
        if status != "pending":
            await ledger.update_request_status(request_id, status)


async def _operations(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    for t in range(plan.training):
        fw = FRAMEWORKS[t % len(FRAMEWORKS)]
        await ledger.add_training_data(
            {
                "framework": fw,
                "claim_text": f"training example {t}",
                "evidence": {"snippets": [f"s{t}a", f"s{t}b"]},
                "validity": rng.random() < 0.5,
                "confidence": round(rng.uniform(0.4, 1.0), 3),
                "metadata": {"origin": "demo"},
            }
        )
        counts["training_data"] += 1
    claimed = await ledger.claim_training_batch(FRAMEWORKS[0], max(1, plan.training // 8))
    counts["training_claimed"] += len(claimed.items)
    for c in range(plan.checkpoints):
        fw = FRAMEWORKS[c % 2]
        await ledger.create_checkpoint(
            {
                "model_name": f"verifier-{fw}",
                "framework": fw,
                "version": f"1.{c}",
                "checkpoint_path": f"/models/verifier-{fw}/1.{c}.pt",
                "metrics": {"accuracy": round(0.8 + 0.01 * c, 3), "loss": round(0.5 - 0.02 * c, 3)},
                "training_config": {"epochs": 10 + c, "lr": 0.001},
                "is_active": c >= plan.checkpoints - 2,
            }
        )
        counts["checkpoints"] += 1
    services = [("api", "api-1"), ("api", "api-2"), ("worker", "worker-1"), ("worker", "worker-2")]
    for name, instance in services:
        await ledger.heartbeat(
            {
                "service_name": name,
                "instance_id": instance,
                "status": "healthy" if instance != "worker-2" else "degraded",
                "metadata": {"version": "1.4.2", "region": rng.choice(["eu-west", "us-east"])},
            }
        )
        counts["heartbeats"] += 1
    # A service that stopped beating: no API backdates a heartbeat, so move it back directly.
    async with UnitOfWork(ledger.db, ledger.actor) as uow:
        await uow.session.execute(
            update(ServiceHealth)
            .where(
                ServiceHealth.project_id == uow.project_id,
                ServiceHealth.instance_id == "worker-2",
            )
            .values(last_heartbeat=utcnow() - timedelta(minutes=20))
        )


async def _consensus(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    tag = seed_tag(rng)
    nodes = [f"node-{tag}-{n}" for n in range(5)]
    for n in nodes:
        await ledger.register_consensus_node({"name": n, "description": "validator"})
        counts["consensus_nodes"] += 1
    for p in range(plan.proposals):
        proposal = await ledger.create_proposal(
            {
                "name": f"proposal {p + 1}: raise the pass threshold",
                "description": "move the custody pass mark",
                "choices": ["yes", "no", "abstain"],
                "quorum": 3,
            }
        )
        counts["consensus_proposals"] += 1
        voters = rng.sample(nodes, rng.randint(2, len(nodes)))
        for v in voters:
            await ledger.cast_vote(
                proposal.id, {"node": v, "choice": rng.choice(["yes", "yes", "no", "abstain"])}
            )
            counts["consensus_votes"] += 1
        if p % 2 == 0:
            await ledger.close_proposal(proposal.id)


#: The demo's evaluation runs: two models on one task, the larger one a little better.
RUN_MODELS = (("mockllm/small", 0.62), ("mockllm/large", 0.74))


async def _runs(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    questions = [(rng.randint(1, 99), rng.randint(1, 99)) for _ in range(plan.executions * 6)]
    for model, skill in RUN_MODELS:
        samples: list[dict[str, Any]] = []
        correct = 0
        for number, (a, b) in enumerate(questions, start=1):
            right = rng.random() < skill
            correct += right
            answer = str(a + b if right else a + b + rng.choice([-1, 1]))
            samples.append(
                {
                    "sample_id": str(number),
                    "input": f"What is {a} + {b}?",
                    "target": str(a + b),
                    "output": answer,
                    "scores": {
                        "match": {
                            "value": 1.0 if right else 0.0,
                            "raw": "C" if right else "I",
                            "answer": answer,
                        },
                        "rubric": {"value": round(min(1.0, max(0.0, rng.gauss(skill, 0.15))), 3)},
                    },
                    "input_tokens": rng.randint(8, 20),
                    "output_tokens": rng.randint(1, 4),
                }
            )
        accuracy = correct / len(samples)
        await ledger.record_run(
            {
                "external_id": f"demo-arith-{model}",
                "task": "arith",
                "model": model,
                "dataset_name": "arith-demo",
                "tags": ["demo"],
                "scorers": [{"name": "match"}, {"name": "rubric"}],
                "metrics": {"match": {"accuracy": accuracy}},
                "samples": samples,
            }
        )
        counts["eval_runs"] += 1
        counts["eval_samples"] += len(samples)


async def _framework(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    for e in range(plan.executions):
        fw = FRAMEWORKS[e % len(FRAMEWORKS)]
        execution = await ledger.start_execution(
            {"framework": fw, "claim_id": f"exec-claim-{e}", "input": {"n": e}}
        )
        counts["framework_executions"] += 1
        if e % 5 != 4:  # a few stay running
            ok = rng.random() < 0.85
            await ledger.finish_execution(
                execution.id,
                {
                    "status": "completed" if ok else "failed",
                    "output": {"valid": rng.random() < 0.5} if ok else None,
                    "error": None if ok else "timeout talking to the retriever",
                },
            )
        await ledger.record_framework_metric(
            {
                "framework": fw,
                "name": "latency_ms",
                "value": round(rng.uniform(30, 900), 1),
                "execution_id": execution.id,
            }
        )
        counts["framework_metrics"] += 1
    for fw in FRAMEWORKS:
        await ledger.set_framework_configuration(
            fw, {"timeout_s": rng.choice([5, 10, 30]), "retries": rng.randint(0, 3)}
        )
        await ledger.save_framework_state(fw, {"state": {"cursor": rng.randint(0, 1000)}})
        counts["framework_configurations"] += 1
        counts["framework_states"] += 1


async def _power(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    tag = seed_tag(rng)
    names = [f"power-{tag}-{n}" for n in range(plan.power_nodes)]
    for n in names:
        await ledger.create_power_node(
            {"name": n, "description": "institution", "power": round(rng.uniform(10, 100), 1)}
        )
        counts["power_nodes"] += 1
    for i, src in enumerate(names):
        for dst in names[i + 1 :]:
            if rng.random() < 0.5:
                await ledger.set_power_relation(
                    {"source": src, "target": dst, "weight": round(rng.uniform(0.1, 1.0), 2)}
                )
                counts["power_relations"] += 1
    if counts["power_relations"] == 0:
        await ledger.set_power_relation({"source": names[0], "target": names[1], "weight": 0.7})
        counts["power_relations"] += 1
    counts["power_metrics"] += len(await ledger.record_influence())
    await ledger.transfer_power(
        {"source": names[0], "target": names[1], "amount": 5.0, "reason": "coalition deal"}
    )
    counts["power_events"] += 1


async def _evolution(ledger: Ledger, rng: random.Random, plan: Plan, counts: Counter[str]) -> None:
    tag = seed_tag(rng)
    parents: list[Any] = []
    for g in range(plan.evolution_generations):
        born = []
        for i in range(3):
            parent = parents[i % len(parents)] if parents else None
            agent = await ledger.create_evolution_agent(
                {
                    "name": f"evo-{tag}-g{g}-{i}",
                    "parent_id": parent.id if parent else None,
                    "fitness": round(0.3 + 0.1 * g + rng.uniform(0, 0.1), 3),
                    "genome": {"layers": 2 + g, "mutation_rate": round(rng.uniform(0, 0.1), 3)},
                }
            )
            counts["evolution_agents"] += 1
            await ledger.record_evolution_metric(
                agent.id, {"name": "novelty", "value": round(rng.uniform(0, 1), 3)}
            )
            counts["evolution_metrics"] += 1
            await ledger.snapshot_agent(agent.id, {"state": {"weights": f"blob-{g}-{i}"}})
            counts["evolution_snapshots"] += 1
            born.append(agent)
        parents = born


async def _tenancy(
    ledger: Ledger,
    own: str,
    rng: random.Random,
    counts: Counter[str],
    on_key: Callable[[str], None] | None,
) -> None:
    # Projects and keys are managed across projects (as `evalledger keys` does).
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        try:
            project = await tenancy.get_project(uow, SECOND_PROJECT)
        except NotFoundError:
            project = await tenancy.create_project(uow, SECOND_PROJECT)
            counts["projects"] += 1
    other = ledger.in_project(project.id)
    await other.seed_default_agents()
    await other.record_custody_tests(
        [
            {"agent_type": "guardian", "id": _uuid(rng), "passed": True, "score": 91.0},
            {"agent_type": "sandbox", "id": _uuid(rng), "passed": False, "score": 45.0},
        ]
    )
    counts["custody_results"] += 2
    # Last: the dashboard key's presence means the whole data set was written.
    async with UnitOfWork(ledger.db, ledger.actor, tenant_scoped=False) as uow:
        created = await tenancy.create_key(uow, name=DASHBOARD_KEY, scope="read", project=own)
        counts["api_keys"] += 1
    if on_key is not None:
        on_key(created.secret)
