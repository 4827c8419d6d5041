"""Projects and API keys: creation, listing, revocation and authentication."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from evalledger.db.engine import Database
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, Unauthenticated, ValidationFailed
from evalledger.monitoring import CACHE_LOOKUPS
from evalledger.tenancy.models import SCOPES, ApiKey, Project
from evalledger.uow import Actor, UnitOfWork

KEY_PREFIX = "evl_"

#: Seconds a successful authentication is remembered by this process. Revoking a key in this
#: process forgets every remembered key at once; a key revoked by another process (the CLI,
#: another server worker) is refused at the latest this long after its revocation commits.
AUTH_CACHE_TTL = 2.0
_auth_cache: dict[str, tuple[float, Actor]] = {}
#: Lookups in flight, per (database, secret hash): concurrent requests share one.
_auth_lookups: dict[tuple[int, str], asyncio.Future[Actor]] = {}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> tuple[str, str]:
    """``(secret, display_prefix)``: 256 random bits, shown once, stored only as a hash."""
    prefix = secrets.token_hex(4)
    return f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


@dataclass(frozen=True)
class KeyInfo:
    id: uuid.UUID
    name: str
    scope: str
    prefix: str
    project: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    info: KeyInfo
    secret: str


async def get_project(uow: UnitOfWork, name: str) -> Project:
    project = (
        await uow.session.execute(select(Project).where(Project.name == name))
    ).scalar_one_or_none()
    if project is None:
        raise NotFoundError(
            f"project {name!r} not found: create it with `evalledger projects create {name}`",
            field="project",
        )
    return project


async def create_project(uow: UnitOfWork, name: str) -> Project:
    if not name or len(name) > 100:
        raise ValidationFailed("project name must be 1 to 100 characters", field="name")
    existing = (
        await uow.session.execute(select(Project).where(Project.name == name))
    ).scalar_one_or_none()
    if existing is not None:
        raise ConflictError(f"project {name!r} already exists", field="name")
    project = Project(name=name)
    uow.session.add(project)
    await uow.session.flush()
    uow.audit("project", project.id, "create", {"name": name})
    return project


async def list_projects(uow: UnitOfWork) -> list[Project]:
    return list((await uow.session.execute(select(Project).order_by(Project.name))).scalars())


async def create_key(uow: UnitOfWork, *, name: str, scope: str, project: str) -> CreatedKey:
    if scope not in SCOPES:
        raise ValidationFailed(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    if not name or len(name) > 100:
        raise ValidationFailed("key name must be 1 to 100 characters", field="name")
    proj = await get_project(uow, project)
    secret, prefix = new_secret()
    key = ApiKey(
        project_id=proj.id, name=name, scope=scope, prefix=prefix, key_hash=hash_secret(secret)
    )
    uow.session.add(key)
    await uow.session.flush()
    uow.audit("api_key", key.id, "create", {"name": name, "scope": scope, "project": project})
    return CreatedKey(_info(key, proj.name), secret)


async def list_keys(uow: UnitOfWork) -> list[KeyInfo]:
    rows = await uow.session.execute(
        select(ApiKey, Project.name)
        .join(Project, Project.id == ApiKey.project_id)
        .order_by(ApiKey.created_at)
    )
    return [_info(key, project) for key, project in rows.all()]


async def revoke_key(uow: UnitOfWork, key_ref: str) -> KeyInfo:
    """Revoke by id or display prefix. Revoking twice is harmless."""
    cond = ApiKey.prefix == key_ref
    with contextlib.suppress(ValueError):
        cond = cond | (ApiKey.id == uuid.UUID(key_ref))
    found = (
        await uow.session.execute(
            select(ApiKey, Project.name).join(Project, Project.id == ApiKey.project_id).where(cond)
        )
    ).all()
    if not found:
        raise NotFoundError(f"no API key with id or prefix {key_ref!r}", field="key")
    if len(found) > 1:
        raise ConflictError(f"{key_ref!r} matches several keys; use the key id", field="key")
    key, project = found[0]
    if key.revoked_at is None:
        await uow.session.execute(
            update(ApiKey).where(ApiKey.id == key.id).values(revoked_at=utcnow())
        )
        uow.audit("api_key", key.id, "revoke")
        forget_authentications()
        await uow.session.refresh(key)
    return _info(key, project)


async def authenticate(uow: UnitOfWork, secret: str) -> Actor:
    """The actor a bearer secret stands for, or :class:`Unauthenticated`."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        raise Unauthenticated("malformed API key")
    row = (
        await uow.session.execute(
            select(
                ApiKey.id, ApiKey.project_id, ApiKey.scope, ApiKey.name, ApiKey.revoked_at
            ).where(ApiKey.key_hash == hash_secret(secret))
        )
    ).one_or_none()
    if row is None:
        raise Unauthenticated("unknown API key")
    if row.revoked_at is not None:
        raise Unauthenticated("API key revoked")
    return Actor(project_id=row.project_id, key_id=row.id, scope=row.scope, name=row.name)


def forget_authentications() -> None:
    """Drop every remembered authentication (after a revocation)."""
    _auth_cache.clear()
    _auth_lookups.clear()  # later requests must not join a lookup that began before


async def authenticate_cached(db: Database, secret: str) -> Actor:
    """:func:`authenticate`, remembering successes for :data:`AUTH_CACHE_TTL` seconds.

    Only successes are remembered, keyed by the secret's hash, so an unknown or revoked key
    always reaches the database and a new key works at once. Concurrent requests with the same
    secret share one lookup: when the remembered answer expires under load, every request in
    flight would otherwise open its own transaction at the same moment (16 clients, 16 reads
    every :data:`AUTH_CACHE_TTL` seconds, each adding to the others' latency).
    """
    digest = hash_secret(secret)
    hit = _auth_cache.get(digest)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        CACHE_LOOKUPS.labels("auth", "hit").inc()
        return hit[1]
    CACHE_LOOKUPS.labels("auth", "miss").inc()
    key = (id(db), digest)
    pending = _auth_lookups.get(key)
    if pending is not None:
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled():
                raise  # this request was cancelled, not the lookup
            # The request that was looking up was cancelled: look up ourselves.
    lookup: asyncio.Future[Actor] = asyncio.get_running_loop().create_future()
    _auth_lookups[key] = lookup
    try:
        # Across projects, and on the primary: a key just created or revoked must count at
        # once, whatever replicas lag.
        async with UnitOfWork(db, write=False, primary=True, tenant_scoped=False) as uow:
            actor = await authenticate(uow, secret)
    except asyncio.CancelledError:
        lookup.cancel()
        raise
    except BaseException as exc:
        lookup.set_exception(exc)
        lookup.exception()  # retrieved: no "never retrieved" warning when nobody waited
        raise
    finally:
        if _auth_lookups.get(key) is lookup:
            del _auth_lookups[key]
    lookup.set_result(actor)
    if len(_auth_cache) > 10_000:
        _auth_cache.clear()
    _auth_cache[digest] = (now + AUTH_CACHE_TTL, actor)
    return actor


def _info(key: ApiKey, project: str) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        scope=key.scope,
        prefix=key.prefix,
        project=project,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )
