from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class AuditEntry(TenantScoped, Base):
    """Who did what to which object, with the state before and after.

    Append-only: the app's database roles may only INSERT and SELECT, a trigger refuses UPDATE and
    DELETE for everyone, and the ORM refuses to flush a changed or deleted entry."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_id_occurred_at", "tenant_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict | None] = mapped_column(JsonType)
    after: Mapped[dict | None] = mapped_column(JsonType)
    request_id: Mapped[str | None] = mapped_column(String(64))
