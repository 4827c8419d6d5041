"""``evalledger serve``: run the REST API with uvicorn."""

from __future__ import annotations

import typer

from evalledger.cli.common import EXIT_USAGE, fail, settings_or_exit


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def serve(
    host: str = typer.Option(None, help="bind address (default EVALLEDGER_HOST, 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default EVALLEDGER_PORT, 8000)"),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="skip API keys (local use; loopback addresses only)"
    ),
    migrate_schema: bool = typer.Option(
        False, "--migrate", help="upgrade the schema before serving"
    ),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    import asyncio

    import uvicorn

    from evalledger.api.app import create_app
    from evalledger.cli.common import run
    from evalledger.db import migrate
    from evalledger.db.engine import Database
    from evalledger.logs import configure_logging

    settings = settings_or_exit()
    host = host or settings.host
    port = port or settings.port
    if no_auth and not is_loopback(host):
        fail(
            f"--no-auth is refused on {host}: bind to 127.0.0.1 or ::1, or use API keys", EXIT_USAGE
        )
    configure_logging(settings.log_level, settings.log_json)

    async def prepare() -> None:
        db = Database(settings)
        try:
            if migrate_schema:
                await migrate.upgrade(db)
            await migrate.ensure_current(db)
        finally:
            await db.dispose()

    run(prepare)
    del asyncio
    # uvloop and httptools come with uvicorn[standard]; "auto" falls back when absent.
    if workers == 1:
        uvicorn.run(
            create_app(settings, no_auth=no_auth),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            loop="auto",
            http="auto",
        )
        return
    # Several processes need an import string; each worker builds its app from the
    # environment (the settings came from it too) and opens its own pool.
    import os

    os.environ["EVALLEDGER_SERVE_NO_AUTH"] = "1" if no_auth else "0"
    uvicorn.run(
        "evalledger.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        workers=workers,
        loop="auto",
        http="auto",
    )


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
