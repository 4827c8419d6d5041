"""The web dashboard at ``/``: server-rendered HTML pages over the SDK (no JavaScript).

Sign-in takes an API key (any scope; ``read`` is enough), checks it and keeps it in an
http-only, ``SameSite=Strict`` cookie (``Secure`` over HTTPS); every page authenticates the
cookie's key exactly as the API authenticates a bearer key, so a revoked key stops working at
once. With ``serve --no-auth`` (loopback only) the pages need no sign-in. Every form post
passes :mod:`evalledger.web.csrf`'s checks (own Origin, matching token); every page carries
the CSRF token in its forms. See docs/security.md, "Dashboard".
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from evalledger.agents.progression import level_for_xp
from evalledger.errors import NotFoundError, Unauthenticated
from evalledger.ops import backup
from evalledger.ops.health import add_project_warnings, collect
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import Actor, UnitOfWork
from evalledger.web import csrf, queries
from evalledger.web.charts import Point, bar, line_chart

COOKIE = "evalledger_session"
HERE = Path(__file__).parent
STATIC = HERE / "static"
MAX_FORM_BYTES = 4096
#: Bootstrap rounds of the overview's rating intervals (the API's default is 100; fitting
#: 100 rounds over 2,000 events takes about a second, 40 stay well under half of that).
BOOTSTRAP_ROUNDS = 40

router = APIRouter(include_in_schema=False)

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


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the CSRF token its forms carry (and the cookie holding it, if new)."""
    token = request.cookies.get(csrf.COOKIE)
    fresh = not csrf.valid_token(token)
    if fresh:
        token = csrf.new_token()
    html = templates.get_template(name).render(
        request=request,
        no_auth=request.app.state.no_auth,
        path=request.url.path,
        csrf_token=token,
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


async def _form(request: Request) -> dict[str, str]:
    """The first value of each field of a small urlencoded form."""
    body = await request.body()
    fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items() if values}


def _forgery(request: Request, form: dict[str, str]) -> str | None:
    return csrf.forgery(request.headers, request.cookies.get(csrf.COOKIE), form.get(csrf.FIELD))


async def _actor(request: Request) -> Actor | None:
    if request.app.state.no_auth:
        return Actor(name="no-auth")
    secret = request.cookies.get(COOKIE, "").strip()
    if not secret:
        return None
    ledger: Ledger = request.app.state.ledger
    try:
        async with UnitOfWork(ledger.db, write=False, primary=True, tenant_scoped=False) as uow:
            return await tenancy.authenticate(uow, secret)
    except Unauthenticated:
        return None


def _sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)


async def _ledger(request: Request) -> tuple[Ledger | None, Actor | None]:
    actor = await _actor(request)
    if actor is None:
        return None, None
    ledger: Ledger = request.app.state.ledger
    return ledger.as_actor(actor), actor


def _safe_next(value: str | None) -> str:
    """Only same-site paths: ``/x`` but never ``//host`` or ``/\\host`` (open redirects)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


# -- sign-in / sign-out -------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> Response:
    return _render(request, "sign_in.html", next=_safe_next(next), error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    secret = form.get("key", "").strip()
    target = _safe_next(form.get("next", "/"))
    if forged := _forgery(request, form):  # login CSRF: never sign in from another site
        return _render(request, "sign_in.html", status=403, next=target, error=forged)
    ledger: Ledger = request.app.state.ledger
    try:
        if not secret:
            raise Unauthenticated("enter an API key")
        async with UnitOfWork(ledger.db, write=False, primary=True, tenant_scoped=False) as uow:
            await tenancy.authenticate(uow, secret)
    except Unauthenticated as exc:
        return _render(request, "sign_in.html", status=401, next=target, error=exc.message)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    if forged := _forgery(request, await _form(request)):
        return _render(request, "refused.html", status=403, title="Refused", message=forged)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/static/dashboard.css")
async def stylesheet() -> Response:
    return Response(
        (STATIC / "dashboard.css").read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# -- pages --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> Response:
    ledger, _ = await _ledger(request)
    if ledger is None:
        return _sign_in_redirect(request)
    agents = {a.agent_type: a for a in await ledger.list_agents()}
    summary = await ledger.get_analytics_summary()
    stats = await ledger.event_stats()
    assessment_stats = await ledger.stats()
    recent = await queries.recent_results(ledger, 12)
    events = await ledger.list_events(limit=8)
    # Cached by the ledger while the project's events are unchanged (competitions.ratings_cache).
    board = await ledger.leaderboard("elo", rounds=BOOTSTRAP_ROUNDS)
    return _render(
        request,
        "overview.html",
        title="Overview",
        board=board,
        agents=agents,
        summary=summary,
        event_total=stats.total_events,
        assessment_stats=assessment_stats,
        recent=recent,
        events=events.items,
    )


@router.get("/agents/{agent_type}", response_class=HTMLResponse)
async def agent_page(request: Request, agent_type: str) -> Response:
    ledger, _ = await _ledger(request)
    if ledger is None:
        return _sign_in_redirect(request)
    try:
        metrics = await ledger.get_agent_metrics(agent_type)
    except NotFoundError as exc:
        return _render(
            request, "not_found.html", status=404, title="Not found", message=exc.message
        )
    days = await queries.agent_daily(ledger, agent_type)
    score_chart = line_chart(
        [Point(d.day, d.avg_score, d.passed * 2 >= d.results) for d in days],
        title="mean score per day",
        css_class="score-chart",
        y_min=0,
        y_max=100,
    )
    progression = []
    total = 0
    for d in days:
        total += d.xp
        progression.append((d, total, level_for_xp(total)[0]))
    xp_chart = line_chart(
        [Point(d.day, cumulative) for d, cumulative, _ in progression],
        title="XP from results, cumulative",
        css_class="xp-chart",
        y_min=0,
    )
    return _render(
        request,
        "agent.html",
        title=agent_type,
        m=metrics,
        history=sorted(
            metrics.test_history, key=lambda h: h.timestamp or h.created_at, reverse=True
        ),
        days=days,
        progression=progression,
        score_chart=score_chart,
        xp_chart=xp_chart,
    )


@router.get("/events", response_class=HTMLResponse)
async def events_page(request: Request, cursor: str | None = None) -> Response:
    ledger, _ = await _ledger(request)
    if ledger is None:
        return _sign_in_redirect(request)
    stats = await ledger.event_stats()
    page = await ledger.list_events(limit=25, cursor=cursor)
    return _render(request, "events.html", title="Events", stats=stats, page=page)


@router.get("/assessments", response_class=HTMLResponse)
async def assessments_page(
    request: Request,
    cursor: str | None = None,
    student: str | None = None,
    assessment: str | None = None,
) -> Response:
    ledger, _ = await _ledger(request)
    if ledger is None:
        return _sign_in_redirect(request)
    histograms = await queries.skill_histograms(ledger)
    students = await ledger.list_students(limit=20, cursor=cursor)
    rows = await queries.skills_per_student(ledger, [s.id for s in students.items])
    skills = sorted({r.skill_type for r in rows} | {h.skill_type for h in histograms})
    matrix: dict[uuid.UUID, dict[str, queries.SkillRow]] = {}
    for r in rows:
        matrix.setdefault(r.student_id, {})[r.skill_type] = r
    chosen_student = chosen = None
    student_assessments: list[Any] = []
    try:
        if student:
            chosen_student = await ledger.get_student(_uuid(student))
            student_assessments = (
                await ledger.list_assessments(student_id=chosen_student.id, limit=100)
            ).items
        if assessment:
            chosen = await ledger.get_assessment(_uuid(assessment))
    except NotFoundError as exc:
        return _render(
            request, "not_found.html", status=404, title="Not found", message=exc.message
        )
    return _render(
        request,
        "assessments.html",
        title="Assessments",
        histograms=histograms,
        buckets=[label for label, _ in queries.BUCKETS],
        students=students,
        skills=skills,
        matrix=matrix,
        chosen_student=chosen_student,
        student_assessments=student_assessments,
        chosen=chosen,
    )


@router.get("/verification", response_class=HTMLResponse)
async def verification_page(request: Request, cursor: str | None = None) -> Response:
    ledger, _ = await _ledger(request)
    if ledger is None:
        return _sign_in_redirect(request)
    claims = await ledger.list_claims(limit=25, cursor=cursor)
    rows = []
    for claim in claims.items:
        try:
            consensus = await ledger.get_consensus(claim.external_id)
        except NotFoundError:
            consensus = None
        rows.append((claim, consensus))
    frameworks = await ledger.framework_metrics()
    return _render(
        request,
        "verification.html",
        title="Verification",
        rows=rows,
        claims=claims,
        frameworks=frameworks,
    )


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request) -> Response:
    ledger, actor = await _ledger(request)
    if ledger is None or actor is None:
        return _sign_in_redirect(request)
    # Table sizes count every project's rows: only for admin keys (and local --no-auth use).
    # Stale services are the signed-in project's own, shown as warnings.
    report = await collect(
        ledger.db,
        include_tables=actor.scope == "admin",
        check_within=ledger.settings.health_timeout,
    )
    report = await add_project_warnings(report, ledger)
    backups = backup.list_backups(ledger.settings.backups_dir)
    return _render(
        request,
        "status.html",
        title="Health",
        report=report,
        backups=backups,
        backups_dir=ledger.settings.backups_dir,
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundError(f"{value!r} is not an id") from None
