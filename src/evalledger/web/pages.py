"""What every dashboard page shares: templates, rendering, the session and its projects.

A session is the API keys in the http-only session cookie (one per project the person signed
in to, at most :data:`MAX_KEYS`) and the project chosen among them. Every key belongs to one
project (docs/security.md), so a key never sees another project's rows: the project switcher
offers exactly the projects of the session's keys. ``serve --no-auth`` (loopback only) acts
as the local operator, who may see every project, so there it offers all of them.

Pages use :class:`LenientRoute`: a query parameter a page does not know (a typo, a stale
bookmark) is dropped and named in a notice instead of the API's JSON 422, and a
:class:`~evalledger.errors.NotFoundError` or :class:`~evalledger.errors.ValidationFailed`
raised while building a page becomes an HTML page, not a JSON body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select

from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.errors import NotFoundError, Unauthenticated, ValidationFailed
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.tenancy.models import Project
from evalledger.uow import Actor, UnitOfWork
from evalledger.web import csrf
from evalledger.web.charts import bar

COOKIE = "evalledger_session"
PROJECT_COOKIE = "evalledger_project"
#: Keys one session may hold (one per project); the separator is not a key character.
MAX_KEYS = 8
KEY_SEPARATOR = "."
HERE = Path(__file__).parent
#: ``?refresh=N``: reload the page every N seconds (opt-in), within these bounds.
REFRESH_MIN, REFRESH_MAX = 5, 3600
#: Query parameters of every page, read by the page frame rather than by a route.
PAGE_PARAMS = frozenset({"refresh"})
PAGE_PARAMS_KEY = "evalledger.page_params"
NOTICES_KEY = "evalledger.notices"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(bar=bar)
templates.filters["pct"] = lambda v: f"{100 * float(v):.1f}%"
templates.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"
templates.filters["when"] = lambda d: (
    Markup(f'<time datetime="{d.isoformat()}">{d.strftime("%Y-%m-%d %H:%M")}</time>') if d else ""
)


@dataclass(frozen=True)
class Session:
    """Who is looking: the ledger acting for the chosen project, and the projects to switch to."""

    ledger: Ledger
    actor: Actor
    projects: list[tuple[uuid.UUID, str]] = field(default_factory=list)

    @property
    def project_name(self) -> str:
        return next((n for i, n in self.projects if i == self.actor.project_id), "")


def session_keys(request: Request) -> list[str]:
    raw = request.cookies.get(COOKIE, "")
    return [k for k in raw.split(KEY_SEPARATOR) if k.strip()][:MAX_KEYS]


def join_keys(keys: list[str]) -> str:
    unique = list(dict.fromkeys(keys))
    return KEY_SEPARATOR.join(unique[-MAX_KEYS:])


def _page_params(request: Request) -> dict[str, str]:
    """The parameters every page takes (``refresh``), set aside by :class:`LenientRoute`."""
    found: dict[str, str] = request.scope.get(PAGE_PARAMS_KEY, {})
    return found


def refresh_seconds(request: Request) -> int | None:
    """The opt-in auto-refresh interval of ``?refresh=N`` (clamped), or ``None``."""
    raw = _page_params(request).get("refresh", "")
    if not raw.isdigit():
        return None
    return max(REFRESH_MIN, min(REFRESH_MAX, int(raw)))


def url_with(request: Request, **changes: str | list[str] | None) -> str:
    """This page's URL with some query parameters changed (``None`` removes one, a list
    repeats one; ``from_`` names ``from``, a Python keyword)."""
    changes = {k.removesuffix("_"): v for k, v in changes.items()}
    current = [*request.query_params.multi_items(), *_page_params(request).items()]
    pairs = [(k, v) for k, v in current if k not in changes]
    for name, value in changes.items():
        pairs += [(name, v) for v in ([value] if isinstance(value, str) else value or [])]
    query = urlencode(pairs)
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the CSRF token its forms carry (and the cookie holding it, if new)."""
    token = request.cookies.get(csrf.COOKIE)
    fresh = not csrf.valid_token(token)
    if fresh:
        token = csrf.new_token()
    notices = list(request.scope.get(NOTICES_KEY, [])) + list(context.pop("notices", None) or [])
    html = templates.get_template(name).render(
        request=request,
        no_auth=request.app.state.no_auth,
        path=request.url.path,
        csrf_token=token,
        notices=notices,
        refresh=refresh_seconds(request),
        url_with=lambda **c: url_with(request, **c),
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    if fresh:
        response.set_cookie(
            csrf.COOKIE,
            str(token),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "not_found.html", status=404, title="Not found", message=message)


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)


async def _project_names(
    ledger: Ledger, ids: list[uuid.UUID] | None
) -> list[tuple[uuid.UUID, str]]:
    async with UnitOfWork(ledger.db, write=False, primary=True, tenant_scoped=False) as uow:
        stmt = select(Project.id, Project.name).order_by(Project.name)
        if ids is not None:
            stmt = stmt.where(Project.id.in_(ids))
        return [(r.id, r.name) for r in (await uow.session.execute(stmt)).all()]


async def authenticate(ledger: Ledger, secret: str) -> Actor:
    async with UnitOfWork(ledger.db, write=False, primary=True, tenant_scoped=False) as uow:
        return await tenancy.authenticate(uow, secret)


def _chosen(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.cookies.get(PROJECT_COOKIE, ""))
    except ValueError:
        return None


async def session(request: Request) -> Session | None:
    """The signed-in session (``None``: sign in first). Every key is checked on every page,
    so a revoked key stops working at once (and drops its project from the switcher)."""
    ledger: Ledger = request.app.state.ledger
    chosen = _chosen(request)
    if request.app.state.no_auth:
        projects = await _project_names(ledger, None)
        ids = {i for i, _ in projects}
        project = chosen if chosen in ids else DEFAULT_PROJECT_ID
        actor = Actor(project_id=project, name="no-auth")
        return Session(ledger.as_actor(actor), actor, projects)
    actors: dict[uuid.UUID, Actor] = {}
    for secret in session_keys(request):
        try:
            found = await authenticate(ledger, secret.strip())
        except Unauthenticated:
            continue
        actors.setdefault(found.project_id, found)
    if not actors:
        return None
    picked = actors.get(chosen) if chosen is not None else None
    actor = picked or next(iter(actors.values()))
    projects = await _project_names(ledger, list(actors))
    return Session(ledger.as_actor(actor), actor, projects)


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return get_origin(annotation) is list


def _declared(route: APIRoute) -> tuple[set[str], set[str]]:
    params = route.dependant.query_params
    names = {p.alias for p in params}
    repeatable = {p.alias for p in params if _is_list(p.field_info.annotation)}
    return names, repeatable


class LenientRoute(APIRoute):
    """A page route: unknown query parameters become notices, domain errors HTML pages."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()
        declared, repeatable = _declared(self)

        async def lenient(request: Request) -> Response:
            kept: list[tuple[str, str]] = []
            page: dict[str, str] = {}
            dropped: list[str] = []
            for name, value in request.query_params.multi_items():
                clean = "\x00" not in name + value
                repeat = name in {k for k, _ in kept} and name not in repeatable
                if name in PAGE_PARAMS and clean:
                    page.setdefault(name, value)
                elif name in declared and clean and not repeat:
                    kept.append((name, value))
                else:
                    dropped.append(name.replace("\x00", "")[:40])
            if dropped or page:
                scope = dict(request.scope)
                scope["query_string"] = urlencode(kept).encode("latin-1")
                scope[PAGE_PARAMS_KEY] = page
                if dropped:
                    names = ", ".join(repr(d) for d in dict.fromkeys(dropped))
                    scope[NOTICES_KEY] = [
                        f"ignored query parameter{'s' if len(dropped) > 1 else ''} {names} "
                        "(not used by this page, or given twice)"
                    ]
                request = Request(scope, request.receive)
            try:
                return await handler(request)
            except NotFoundError as exc:
                return not_found(request, exc.message)
            except ValidationFailed as exc:
                return render(
                    request, "refused.html", status=400, title="Cannot show", message=exc.message
                )

        return lenient
