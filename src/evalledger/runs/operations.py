"""The runs domain's operations under ``/api/v1/runs``: record a run with its samples, list
and filter runs, one run with its per-scorer statistics, and a run's samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import MaxLen, MinLen
from pydantic import Field

from evalledger.operations import (
    AnyId,
    Cursor,
    In,
    OperationGroup,
    PageLimit,
    as_model,
    as_uuid,
    get,
    post,
)
from evalledger.pagination import Page
from evalledger.runs.schemas import Harness, RunIn, RunOut, RunRecorded, RunStatus, SampleOut

if TYPE_CHECKING:
    from evalledger.runs.service import RunsService

Text255 = Annotated[str | None, MaxLen(255)]
Threshold = Annotated[float | None, Field(allow_inf_nan=False)]
#: The default page of runs and of samples.
PAGE = 50


class RunsOperations(
    OperationGroup,
    prefix="/api/v1/runs",
    tag="runs",
    service="evalledger.runs.service:RunsService",
):
    @post("", summary="Record a run with its samples", status=201, retry_safe=True)
    async def record_run(
        svc: RunsService,
        run: In[RunIn],
        *,
        as_results: bool = False,
        scorer: Annotated[str | None, MinLen(1), MaxLen(255)] = None,
        pass_threshold: Threshold = None,
    ) -> RunRecorded:
        """Record a run and (up to 10,000 of) its samples in one transaction.

        The run's identity is ``(harness, external_id)``: sending the same run again changes
        nothing (``created: false``); different content under the same identity is a 409.
        ``as_results=True`` also records each scored sample as a result of the run's
        ``agent_type``, in the same transaction, as an import with ``as_results`` does:
        ``scorer`` picks the score (default the run's first scorer), ``pass_threshold`` the
        pass mark (default the sample's ``passed``).
        """
        body = as_model(RunIn, run)
        if not as_results:
            return await svc.record_run(body)
        from evalledger.runs.run_results import record_run_as_results

        return await record_run_as_results(svc, body, scorer, pass_threshold)

    @get("", summary="Runs, newest first")
    async def list_runs(
        svc: RunsService,
        *,
        task: Text255 = None,
        model: Text255 = None,
        harness: Harness | None = None,
        tag: Annotated[list[Annotated[str, MinLen(1), MaxLen(64)]] | None, MaxLen(32)] = None,
        agent: Annotated[str | None, MaxLen(100)] = None,
        agent_version: Annotated[str | None, MaxLen(100)] = None,
        status: RunStatus | None = None,
        limit: PageLimit = None,
        cursor: Cursor = None,
    ) -> Page[RunOut]:
        """Runs of the project, newest first, filtered by task, model, harness, tags (all of
        them), agent, agent version and status; keyset-paginated."""
        where = {
            "task": task,
            "model": model,
            "harness": harness,
            "tag": tag,
            "agent_type": agent,
            "agent_version": agent_version,
            "status": status,
        }
        return await svc.list_runs(where, limit or PAGE, cursor)

    @get("/{run_id}", summary="One run with per-scorer statistics")
    async def get_run(svc: RunsService, run_id: AnyId) -> RunOut:
        """The run, and per scorer: samples, mean with its 95% interval (Wilson for 0/1
        scores, clustered by sample over epochs otherwise) beside the metrics the harness
        reported."""
        return await svc.get_run(as_uuid(run_id))

    @get("/{run_id}/samples", summary="A run's samples")
    async def list_samples(
        svc: RunsService,
        run_id: AnyId,
        *,
        scorer: Text255 = None,
        passed: bool | None = None,
        search: Annotated[str | None, MaxLen(200)] = None,
        limit: PageLimit = None,
        cursor: Cursor = None,
    ) -> Page[SampleOut]:
        """A run's samples in (sample id, epoch) order with input, target, output and each
        scorer's value, answer and explanation; ``scorer`` with ``passed=false`` gives the
        samples that scorer failed; ``search`` matches sample ids and outputs."""
        return await svc.list_samples(
            as_uuid(run_id),
            scorer=scorer,
            passed=passed,
            search=search,
            limit=limit or PAGE,
            cursor=cursor,
        )
