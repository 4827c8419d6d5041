"""``evalledger serve``: run the REST API with uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import TYPE_CHECKING, Any

import typer

from evalledger.cli.common import EXIT_USAGE, fail, settings_or_exit

if TYPE_CHECKING:
    import uvicorn


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
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


#: The one line a user (and a script waiting for the server) reads: printed once it listens.
SERVING_LINE = "evalledger serving on {url} (dashboard /, API docs /docs)"


def serving_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, bound before the app starts.

    Binding first means a port in use is one clear error before anything else happens, and
    nothing claims the server started before the port is really ours.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_error(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            "the address is already in use (another server?): stop it, or choose another "
            "port with --port or EVALLEDGER_PORT"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address: check --host or EVALLEDGER_HOST"
    return exc.strerror or str(exc)


def _announcing_server_class() -> type:
    """uvicorn's Server, printing the serving line once the app started and listens."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        def __init__(self, config: uvicorn.Config, announcement: str) -> None:
            super().__init__(config)
            self.announcement = announcement

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                print(self.announcement, flush=True)

    return AnnouncingServer


def _uvicorn_config(
    app: Any, host: str, port: int, *, factory: bool = False, workers: int = 1
) -> uvicorn.Config:
    import uvicorn

    # uvloop and httptools come with uvicorn[standard]; "auto" falls back when absent.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        factory=factory,
        workers=workers,
        log_level="warning",
        access_log=False,
        loop="auto",
        http="auto",
    )


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
    try:
        listener = bind_listener(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {port_error(exc)}", EXIT_USAGE)
        raise  # fail() exits; this line is for the type checker
    announcement = SERVING_LINE.format(url=serving_url(host, port))
    try:
        if workers == 1:
            config = _uvicorn_config(create_app(settings, no_auth=no_auth), host, port)
            _announcing_server_class()(config, announcement).run(sockets=[listener])
            return
        # Several processes need an import string; each worker builds its app from the
        # environment (the settings came from it too) and opens its own pool. They share the
        # socket bound above, which already listens: connections queue until one accepts.
        import os

        from uvicorn.supervisors import Multiprocess

        os.environ["EVALLEDGER_SERVE_NO_AUTH"] = "1" if no_auth else "0"
        config = _uvicorn_config(
            "evalledger.api.app:app_from_env", host, port, factory=True, workers=workers
        )
        print(announcement, flush=True)
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
