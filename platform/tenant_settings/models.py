"""Versions of a tenant's settings, effective-dated: a period uses the version in force on its first
day, and keeps a copy of it, so a result can be recomputed with what it used."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class SettingsVersion(TenantScoped, Base):
    __tablename__ = "scoring_settings_versions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_scoring_settings_versions_from", "tenant_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    document: Mapped[dict] = mapped_column(JsonType)
    origin: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
