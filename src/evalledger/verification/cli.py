"""``evalledger claims list|show``, ``evalledger consensus show CLAIM``, ``evalledger
checkpoints list``: read-only views of the verification domain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from evalledger.cli.common import console, run, with_ledger
from evalledger.cli.listing import id_column, print_json, print_page, print_table
from evalledger.cli.options import CursorOpt, JsonOpt, ProjectOpt, limit_option, when_option

if TYPE_CHECKING:  # pydantic models: not imported at start-up
    from evalledger.verification.schemas import ClaimOut
    from evalledger.verification.training_schemas import CheckpointOut

claims_app = typer.Typer(help="Claims and their verifications.", no_args_is_help=True)
consensus_app = typer.Typer(help="Consensus decisions on claims.", no_args_is_help=True)
checkpoints_app = typer.Typer(help="Model checkpoints.", no_args_is_help=True)


@claims_app.command("list")
def list_claims(
    claim_type: str | None = typer.Option(None, "--type", help="only this claim_type"),
    source: str | None = typer.Option(None, "--source", help="only from this source"),
    start: datetime | None = when_option("--start", end=False, help="created at or after"),
    end: datetime | None = when_option("--end", end=True, help="created at or before"),
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The newest claims."""
    print_page(
        lambda ledger: ledger.list_claims(
            claim_type=claim_type,
            source=source,
            since=start,
            until=end,
            limit=limit,
            cursor=cursor,
        ),
        _claims_table,
        project=project,
        as_json=as_json,
    )


def _claims_table(claims: Sequence[ClaimOut]) -> Table:
    table = Table(
        id_column("external id"), id_column("type"), id_column("source"), "created", "content"
    )
    for c in claims:
        table.add_row(
            c.external_id,
            c.claim_type or "",
            c.source or "",
            c.created_at.isoformat(timespec="seconds"),
            c.content[:60],
        )
    return table


@claims_app.command("show")
def show_claim(claim_id: str, project: str | None = ProjectOpt, as_json: bool = JsonOpt) -> None:
    """One claim with its verifications."""

    async def load(ledger):  # type: ignore[no-untyped-def]
        return await ledger.get_claim(claim_id), await ledger.get_by_claim_id(claim_id)

    claim, verifications = run(lambda: with_ledger(load, project=project))
    if as_json:
        print_json({"claim": claim, "verifications": verifications})
        return
    summary = Table(show_header=False, title=f"claim {claim.external_id}")
    for field in ("id", "claim_type", "source", "created_at", "content"):
        summary.add_row(field, str(getattr(claim, field)))
    summary.add_row("metadata", json.dumps(claim.metadata))
    console.print(summary)
    table = Table(
        id_column("framework"),
        "valid",
        "confidence",
        "ms",
        id_column("model"),
        "when",
        title="verifications",
    )
    for v in verifications:
        table.add_row(
            v.framework,
            str(v.result.get("valid", "?")),
            f"{v.confidence:.3f}",
            str(v.processing_time_ms or ""),
            v.model_version or "",
            v.created_at.isoformat(timespec="seconds"),
        )
    print_table(table)


@consensus_app.command("show")
def show_consensus(
    claim_id: str, project: str | None = ProjectOpt, as_json: bool = JsonOpt
) -> None:
    """A claim's stored consensus decision."""
    d = run(lambda: with_ledger(lambda ledger: ledger.get_consensus(claim_id), project=project))
    if as_json:
        print_json(d)
        return
    table = Table(show_header=False, title=f"consensus on {d.claim_id}")
    verdict = d.consensus_result.get("valid")
    table.add_row("decision", "no consensus" if verdict is None else str(verdict).lower())
    table.add_row("rule", d.consensus_type)
    table.add_row("confidence", f"{d.consensus_confidence:.4f}")
    table.add_row("frameworks", ", ".join(d.participating_frameworks))
    result = d.consensus_result
    table.add_row("votes", f"{result.get('votes_for')} for, {result.get('votes_against')} against")
    table.add_row("decision time", f"{d.decision_time_ms} ms")
    table.add_row("decided at", d.created_at.isoformat(timespec="seconds"))
    console.print(table)


@checkpoints_app.command("list")
def list_checkpoints(
    model_name: str | None = typer.Option(None, "--model", help="only this model"),
    framework: str | None = typer.Option(None, "--framework", help="only this framework"),
    active: bool = typer.Option(False, "--active", help="only active checkpoints"),
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Checkpoints, newest first (active ones marked)."""
    print_page(
        lambda ledger: ledger.list_checkpoints(
            model_name=model_name,
            framework=framework,
            is_active=True if active else None,
            limit=limit,
            cursor=cursor,
        ),
        _checkpoints_table,
        project=project,
        as_json=as_json,
    )


def _checkpoints_table(checkpoints: Sequence[CheckpointOut]) -> Table:
    table = Table(
        id_column("model"),
        id_column("framework"),
        id_column("version"),
        "active",
        id_column("path"),
        "created",
    )
    for c in checkpoints:
        table.add_row(
            c.model_name,
            c.framework or "-",
            c.version,
            "*" if c.is_active else "",
            c.checkpoint_path,
            c.created_at.isoformat(timespec="seconds"),
        )
    return table


def register(root: typer.Typer) -> None:
    root.add_typer(claims_app, name="claims")
    root.add_typer(consensus_app, name="consensus")
    root.add_typer(checkpoints_app, name="checkpoints")
