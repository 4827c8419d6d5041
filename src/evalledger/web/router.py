"""The web dashboard at ``/``: server-rendered HTML pages over the SDK (no JavaScript).

Sign-in takes an API key (any scope; ``read`` is enough), checks it and keeps it in an
http-only, ``SameSite=Strict`` cookie (``Secure`` over HTTPS); every page authenticates the
cookie's keys exactly as the API authenticates a bearer key, so a revoked key stops working at
once. Signing in with a key of another project adds it to the session, and the header's
project switcher picks among them (:mod:`evalledger.web.pages`). With ``serve --no-auth``
(loopback only) the pages need no sign-in. Every form post passes :mod:`evalledger.web.csrf`'s
checks (own Origin, matching token); every page carries the CSRF token in its forms. See
docs/security.md, "Dashboard", and docs/dashboard.md.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from evalledger.agents.progression import level_for_xp
from evalledger.db.types import utcnow
from evalledger.errors import Unauthenticated
from evalledger.ops import backup
from evalledger.ops.health import add_project_warnings, collect
from evalledger.sdk.ledger import Ledger
from evalledger.web import (
    compare_pages,
    csrf,
    detail_pages,
    queries,
    ranges,
    results_pages,
    runs_pages,
)
from evalledger.web.charts import Point, line_chart, shared_scale
from evalledger.web.pages import (
    COOKIE,
    HERE,
    PROJECT_COOKIE,
    LenientRoute,
    authenticate,
    join_keys,
    render,
    session,
    session_keys,
    sign_in_redirect,
)
from evalledger.web.ranges import resolve

STATIC = HERE / "static"
MAX_FORM_BYTES = 4096
#: The overview's leaderboard uses the API's and the CLI's bootstrap rounds
#: (``EVALLEDGER_BOOTSTRAP_ROUNDS``, 100 by default): ``rounds=None`` asks the ledger for them,
#: so the page and ``evalledger leaderboard`` show the same intervals.
BOOTSTRAP_ROUNDS: int | None = None
METHODS = ("elo", "bradley_terry", "xp")

router = APIRouter(include_in_schema=False, route_class=LenientRoute)


async def _form(request: Request) -> dict[str, str]:
    """The first value of each field of a small urlencoded form."""
    body = await request.body()
    fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items() if values}


def _forgery(request: Request, form: dict[str, str]) -> str | None:
    return csrf.forgery(request.headers, request.cookies.get(csrf.COOKIE), form.get(csrf.FIELD))


def _safe_next(value: str | None) -> str:
    """Only same-site paths: ``/x`` but never ``//host`` or ``/\\host`` (open redirects)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


# -- sign-in / sign-out -------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> Response:
    return render(request, "sign_in.html", next=_safe_next(next), error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    secret = form.get("key", "").strip()
    target = _safe_next(form.get("next", "/"))
    if forged := _forgery(request, form):  # login CSRF: never sign in from another site
        return render(request, "sign_in.html", status=403, next=target, error=forged)
    ledger: Ledger = request.app.state.ledger
    try:
        if not secret:
            raise Unauthenticated("enter an API key")
        actor = await authenticate(ledger, secret)
    except Unauthenticated as exc:
        return render(request, "sign_in.html", status=401, next=target, error=exc.message)
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https"
    # A key of another project joins the session's keys; the project switcher picks one.
    keys = join_keys([*session_keys(request), secret])
    response.set_cookie(COOKIE, keys, httponly=True, samesite="strict", secure=secure, path="/")
    response.set_cookie(
        PROJECT_COOKIE,
        str(actor.project_id),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    if forged := _forgery(request, await _form(request)):
        return render(request, "refused.html", status=403, title="Refused", message=forged)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(PROJECT_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/switch-project")
async def switch_project(request: Request) -> Response:
    """Act in another of the session's projects (only one its keys, or --no-auth, may see)."""
    form = await _form(request)
    if forged := _forgery(request, form):
        return render(request, "refused.html", status=403, title="Refused", message=forged)
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    wanted = form.get("project", "")
    if wanted not in {str(i) for i, _ in current.projects}:
        return render(
            request,
            "refused.html",
            status=403,
            title="Refused",
            message="this session has no key for that project",
        )
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        PROJECT_COOKIE,
        wanted,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
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
async def overview(request: Request, method: str | None = None) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    notices = []
    if method not in (None, *METHODS):
        notices.append(f"method {method[:20]!r} is not one of {', '.join(METHODS)}: showing elo")
    chosen = method if method in METHODS else "elo"
    agents = {a.agent_type: a for a in await ledger.list_agents()}
    summary = await ledger.get_analytics_summary()
    stats = await ledger.event_stats()
    assessment_stats = await ledger.stats()
    recent = await ledger.list_results(limit=12)
    events = await ledger.list_events(limit=8)
    # Cached by the ledger while the project's events are unchanged (competitions.ratings_cache).
    board = await ledger.leaderboard(chosen, rounds=BOOTSTRAP_ROUNDS)  # type: ignore[arg-type]
    return render(
        request,
        "overview.html",
        title="Overview",
        session=current,
        notices=notices,
        method=chosen,
        methods=METHODS,
        board=board,
        agents=agents,
        summary=summary,
        event_total=stats.total_events,
        assessment_stats=assessment_stats,
        recent=recent.items,
        events=events.items,
    )


@router.get("/agents/{agent_type}", response_class=HTMLResponse)
async def agent_page(
    request: Request,
    agent_type: str,
    range: str | None = None,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
    group_by: str | None = None,
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    metrics = await ledger.get_agent_metrics(agent_type)  # NotFoundError: the HTML 404
    now = utcnow()
    span = resolve(range, from_, to, now)
    days = await queries.agent_daily(ledger, agent_type)
    # Cumulative XP counts every day (levels are totals); the range only picks what is shown.
    progression, total = [], 0
    for d in days:
        total += d.xp
        progression.append((d, total, level_for_xp(total)[0]))
    shown = [row for row in progression if span.overlaps_day(row[0].at)]
    # The scores are of the results inside the range only (a day at its edge, partly).
    in_range = await queries.agent_daily(ledger, agent_type, span.since, span.until)
    axis = ranges.axis(span, [span.clamp(d.at) for d in in_range], now)
    score_chart = line_chart(
        [Point(d.day, d.avg_score, d.passed * 2 >= d.results, span.clamp(d.at)) for d in in_range],
        title="mean score per day",
        css_class="score-chart",
        y_min=0,
        y_max=100,
        time_axis=axis,
    )
    xp_chart = line_chart(
        [Point(d.day, cumulative, None, span.clamp(d.at)) for d, cumulative, _ in shown],
        title="XP from results, cumulative",
        css_class="xp-chart",
        y_min=0,
        time_axis=axis,
    )
    compare = await results_pages.comparison(ledger, agent_type, group_by, span)
    history = await ledger.list_results(
        agent=agent_type, since=span.since, until=span.until, limit=50
    )
    return render(
        request,
        "agent.html",
        title=agent_type,
        session=current,
        notices=[n for n in (span.notice, compare.notice) if n],
        span=span,
        m=metrics,
        history=history.items,
        more_history=history.next_cursor is not None,
        days=[d for d, _, _ in shown],
        progression=shown,
        score_chart=score_chart,
        xp_chart=xp_chart,
        compare=compare,
    )


@router.get("/events", response_class=HTMLResponse)
async def events_page(
    request: Request,
    cursor: str | None = None,
    range: str | None = None,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    span = resolve(range, from_, to, utcnow())
    stats = await ledger.event_stats(start=span.since, end=span.until)
    # A duel scores 0-3, a treaty 0-100: one mean column per event type, never a mix.
    per_type = {
        t.event_type: {
            a.agent_type: a.average_score
            for a in (
                await ledger.event_stats(event_type=t.event_type, start=span.since, end=span.until)
            ).agents
        }
        for t in stats.by_type
    }
    page = await ledger.list_events(limit=25, cursor=cursor, start=span.since, end=span.until)
    return render(
        request,
        "events.html",
        title="Events",
        session=current,
        notices=[span.notice] if span.notice else [],
        span=span,
        stats=stats,
        per_type=per_type,
        page=page,
    )


@router.get("/assessments", response_class=HTMLResponse)
async def assessments_page(
    request: Request,
    cursor: str | None = None,
    student: str | None = None,
    assessment: str | None = None,
    range: str | None = None,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    span = resolve(range, from_, to, utcnow())
    histograms = await queries.skill_histograms(ledger, span.since, span.until)
    scaled = shared_scale([h.buckets for h in histograms])
    students = await ledger.list_students(limit=20, cursor=cursor)
    rows = await queries.skills_per_student(ledger, [s.id for s in students.items])
    skills = sorted({r.skill_type for r in rows} | {h.skill_type for h in histograms})
    matrix: dict[uuid.UUID, dict[str, queries.SkillRow]] = {}
    for r in rows:
        matrix.setdefault(r.student_id, {})[r.skill_type] = r
    chosen_student = chosen = None
    student_assessments: list[Any] = []
    if student:
        chosen_student = await ledger.get_student(_uuid(student))
        student_assessments = (
            await ledger.list_assessments(student_id=chosen_student.id, limit=100)
        ).items
    if assessment:
        chosen = await ledger.get_assessment(_uuid(assessment))
    return render(
        request,
        "assessments.html",
        title="Assessments",
        session=current,
        notices=[span.notice] if span.notice else [],
        span=span,
        histograms=list(zip(histograms, scaled, strict=True)),
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
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    claims = await ledger.list_claims(limit=25, cursor=cursor)
    rows = [
        (claim, await detail_pages.consensus_or_none(ledger, claim.external_id))
        for claim in claims.items
    ]
    frameworks = await ledger.framework_metrics()
    return render(
        request,
        "verification.html",
        title="Verification",
        session=current,
        rows=rows,
        claims=claims,
        frameworks=frameworks,
    )


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger, actor = current.ledger, current.actor
    # Table sizes count every project's rows: only for admin keys (and local --no-auth use).
    # Stale services are the signed-in project's own, shown as warnings.
    report = await collect(
        ledger.db,
        include_tables=actor.scope == "admin",
        check_within=ledger.settings.health_timeout,
    )
    report = await add_project_warnings(report, ledger)
    backups = backup.list_backups(ledger.settings.backups_dir)
    return render(
        request,
        "status.html",
        title="Health",
        session=current,
        report=report,
        backups=backups,
        backups_dir=ledger.settings.backups_dir,
    )


def _uuid(value: str) -> uuid.UUID:
    return detail_pages.page_uuid(value)


router.include_router(results_pages.router)
# Before the runs pages: /runs/compare must not be read as /runs/{run_id}.
router.include_router(compare_pages.router)
router.include_router(runs_pages.router)
router.include_router(detail_pages.router)
