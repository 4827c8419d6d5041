"""The ``audit_log`` table (seed 002 columns, plus the project it belongs to).

It lives in the database core, not in ``audit/``, because every unit of work writes it
(:mod:`evalledger.uow`); the audit domain reads it (``audit/models.py`` re-exports it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType


class AuditLog(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("idx_entity", "entity_type", "entity_id"),)

    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(255), nullable=False)
    action: Mapped[str] = mapped_column(String(50), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, nullable=True)
