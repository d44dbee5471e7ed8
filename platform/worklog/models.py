"""Work entries: what an official did on a day, against the catalog item version in force then."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKeyConstraint, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, TenantScoped, utcnow


class EntryState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    locked = "locked"


class WorkEntry(TenantScoped, Base):
    __tablename__ = "work_entries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        ForeignKeyConstraint(["tenant_id", "item_id"], ["catalog_items.tenant_id", "catalog_items.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "item_version_id"], ["catalog_item_versions.tenant_id", "catalog_item_versions.id"]
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("actual_minutes IS NULL OR actual_minutes >= 0", name="minutes"),
        Index("ix_work_entries_official_day", "tenant_id", "official_id", "work_date"),
        Index("ix_work_entries_item_day", "tenant_id", "item_id", "work_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    official_id: Mapped[uuid.UUID]
    work_date: Mapped[date]
    item_id: Mapped[uuid.UUID]
    item_version_id: Mapped[uuid.UUID]  # the norm it was logged against, kept for recomputation
    quantity: Mapped[float] = mapped_column(Numeric(9, 2))
    actual_minutes: Mapped[float | None] = mapped_column(Numeric(9, 2))
    state: Mapped[EntryState] = mapped_column(
        Enum(EntryState, name="work_entry_state", native_enum=False, length=20), default=EntryState.draft
    )
    note: Mapped[str | None] = mapped_column(Text)
    evidence_ref: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
