"""Projects and API keys. Keys are stored only as a SHA-256 hash of the secret."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, TimestampMixin, UUIDMixin
from evalledger.db.types import UTCDateTime

SCOPES = ("read", "write", "admin")


class Project(UUIDMixin, TimestampMixin, Base):
    """A tenant: every domain row belongs to exactly one project."""

    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)


class ApiKey(UUIDMixin, TimestampMixin, Base):
    """An API key. ``key_hash`` is SHA-256 of the secret; the secret itself is never stored.

    A plain (unsalted) SHA-256 is the right tool here: secrets are 256 random bits, so there
    is nothing to brute-force, and a hash lookup keeps authentication to one indexed query.
    """

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write', 'admin')", name="scope"),)

    project_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    scope: Mapped[str] = mapped_column(String(10), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
