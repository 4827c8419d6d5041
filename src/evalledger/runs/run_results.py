"""A run recorded with ``as_results=True``: the run, its samples and their results of the
agent it names, in the one transaction of ``record_run``.

What :mod:`evalledger.runs.session` (``ledger.start_run``) sends at its end, and what a harness
evalledger does not read can send itself. The results are the run's samples mapped by
:mod:`evalledger.runs.as_results` (the mapping an import with ``--as-results`` uses), so the
runs pages and the results query see one set of facts. Their ids derive from the run's id,
and a run already recorded writes nothing (``created: false``), so sending it again never
counts a sample twice.
"""

from __future__ import annotations

from evalledger.agents.batch import record_batch
from evalledger.agents.repository import AgentRepository
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.runs.as_results import as_results, scorer_for
from evalledger.runs.schemas import RunIn, RunRecorded
from evalledger.runs.service import RunsService


async def record_run_as_results(
    svc: RunsService, run: RunIn, scorer: str | None, threshold: float | None
) -> RunRecorded:
    """Record ``run`` and, when it is new, each scored sample as a result of its agent."""
    if run.agent_type is None:
        raise ValidationFailed(
            "agent_type: as_results needs the agent the run evaluates", field="agent_type"
        )
    chosen = scorer_for(run, scorer)
    if chosen is None:
        raise ValidationFailed(
            "scorer: the run names no scorers; say which scorer's value is the result's score",
            field="scorer",
        )
    try:  # the agent must exist, even for a run with no scored sample (as on import)
        await AgentRepository(svc.uow).lock_many([run.agent_type])
    except NotFoundError as exc:
        raise NotFoundError(exc.message, field="agent_type") from None
    recorded = await svc.record_run(run)
    if recorded.created:
        results = as_results(recorded.run.id, run, run.samples, chosen, threshold)
        if results:
            await record_batch(svc.uow, results)
    return recorded
