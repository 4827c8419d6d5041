"""The HTTP plumbing of :class:`~evalledger.sdk.client.Client`: requests, retries, errors.

Error statuses come back as the same exception classes the in-process ledger raises, so code
written against :class:`Ledger` handles failures identically against :class:`Client`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import httpx

from evalledger import errors
from evalledger._version import __version__
from evalledger.operations.boundary import guard_public_methods
from evalledger.operations.spec import Binder

if TYPE_CHECKING:
    from evalledger.operations.spec import Operation

_BY_STATUS: dict[int, type[errors.EvalLedgerError]] = {
    400: errors.EvalLedgerError,
    401: errors.Unauthenticated,
    403: errors.PermissionDenied,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.ValidationFailed,
    422: errors.ValidationFailed,
    503: errors.DatabaseUnavailable,
}


def _error_class(response: httpx.Response) -> type[errors.EvalLedgerError]:
    """The class the server raised (named in the ``Evalledger-Error`` header) when it is one
    of :mod:`evalledger.errors`' with that status, else the status's class: so a schema to
    upgrade is :class:`~evalledger.errors.SchemaOutOfDate` here too, not a lost database."""
    named = getattr(errors, response.headers.get("Evalledger-Error", ""), None)
    if (
        isinstance(named, type)
        and issubclass(named, errors.EvalLedgerError)
        and named.status == response.status_code
    ):
        return named
    return _BY_STATUS.get(response.status_code, errors.EvalLedgerError)


def _message(response: httpx.Response) -> tuple[str, str | None]:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:500] or response.reason_phrase, None
    if isinstance(detail, list) and detail:
        first = detail[0]
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        msg = str(first.get("msg"))
        # FastAPI's own 422s do not name the field in msg; the ledger's errors already do.
        named = field is None or response.status_code != 422 or msg.startswith(f"{field}:")
        return (msg if named else f"{field}: {msg}"), field
    return str(detail), None


def _unreachable(base_url: httpx.URL, exc: httpx.HTTPError) -> errors.ServerUnreachable:
    return errors.ServerUnreachable(
        f"cannot reach the evalledger server at {base_url}: {type(exc).__name__}: {exc}"
    )


class HttpBase(Binder):
    """Holds the ``httpx.AsyncClient``; domain client mixins call :meth:`_request`.

    An unreachable server raises :class:`~evalledger.errors.ServerUnreachable`; a server
    whose database is down answers 503, raised as :class:`~evalledger.errors.DatabaseUnavailable`.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard_public_methods(cls)  # bad input raises ValidationFailed, as in-process

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"User-Agent": f"evalledger-client/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self._retries = retries

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | AsyncIterator[bytes] | None = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        retry_safe: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send, retrying 503s and connection errors for requests that are safe to repeat.

        GET and PUT are always safe; other writes only when they carry an idempotency key
        or a client-supplied id (the caller then passes ``retry_safe=True``). ``content`` is
        a body already serialized as JSON.
        """
        headers = dict(headers or {})
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if content is not None:
            headers.setdefault("Content-Type", "application/json")
        streamed = content is not None and not isinstance(content, bytes)
        safe = not streamed and (
            retry_safe or method in ("GET", "PUT") or "Idempotency-Key" in headers
        )
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    method, path, json=json, content=content, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                if safe and attempt < self._retries:
                    attempt += 1
                    await asyncio.sleep(0.2 * attempt)
                    continue
                raise _unreachable(self._http.base_url, exc) from exc
            except httpx.HTTPError as exc:  # e.g. too many redirects, undecodable body
                raise errors.EvalLedgerError(f"request to evalledger failed: {exc}") from exc
            if response.status_code == 503 and safe and attempt < self._retries:
                attempt += 1
                await asyncio.sleep(0.2 * attempt)
                continue
            if response.status_code >= 400:
                message, field = _message(response)
                raise _error_class(response)(message, field=field)
            try:
                return response.json()
            except ValueError:
                raise errors.EvalLedgerError(
                    f"{method} {path} answered {response.status_code} without JSON: is "
                    f"{self._http.base_url} an evalledger server?"
                ) from None

    async def _upload(
        self,
        path: str,
        body: AsyncIterator[bytes],
        *,
        params: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST a streamed body (a file, never held in memory whole). Not retried: the
        stream cannot be replayed; the operations that take uploads are idempotent, so the
        caller may simply run them again."""
        return await self._request(
            "POST",
            path,
            content=body,
            params=params,
            headers={"Content-Type": "application/octet-stream", **(headers or {})},
        )

    async def _download(
        self, path: str, target: Path, *, params: dict[str, Any] | None = None
    ) -> Mapping[str, str]:
        """Stream a GET response body into ``target``; returns the response headers.

        The body goes to ``target.partial`` and is moved into place once complete, so a
        failed download never leaves a truncated file under the real name. Retried like any
        GET (from the start).
        """
        partial = target.with_name(target.name + ".partial")
        attempt = 0
        while True:
            try:
                async with self._http.stream("GET", path, params=params) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        if response.status_code == 503 and attempt < self._retries:
                            attempt += 1
                            await asyncio.sleep(0.2 * attempt)
                            continue
                        message, field = _message(response)
                        raise _error_class(response)(message, field=field)
                    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
                    with partial.open("wb") as out:
                        async for chunk in response.aiter_bytes(1 << 16):
                            out.write(chunk)
                    await asyncio.to_thread(os.replace, partial, target)
                    return response.headers
            except httpx.TransportError as exc:
                if attempt < self._retries:
                    attempt += 1
                    await asyncio.sleep(0.2 * attempt)
                    continue
                raise _unreachable(self._http.base_url, exc) from exc
            finally:
                partial.unlink(missing_ok=True)

    def _bind(self, op: Operation[Any, Any, Any]) -> Callable[..., Any]:
        from evalledger.operations.remote import bind_remote

        return bind_remote(op, self)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
