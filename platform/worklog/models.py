"""Work entries (what an official did on a day, against the catalog item version in force then),
the tenant's working calendar, closed periods, and the e-document system's events."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class EntryState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    locked = "locked"


# The sets of states the rules count, one name per meaning.
EDITABLE = (EntryState.draft, EntryState.returned)  # the official may still change them
CLAIMING_TIME = (EntryState.draft, EntryState.submitted, EntryState.approved, EntryState.locked)  # the daily cap
REPORTED = (EntryState.submitted, EntryState.approved, EntryState.locked)  # peers' comparisons, calibration
SCORED = (EntryState.approved, EntryState.locked)  # scores, products completed, staffing


class EntrySource(enum.StrEnum):
    manual = "manual"
    edoc = "edoc"  # a "document processed" event of the e-document system


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
        UniqueConstraint("tenant_id", "official_id", "idempotency_key"),
        UniqueConstraint("tenant_id", "source", "source_event_id"),
        Index("ix_work_entries_official_day", "tenant_id", "official_id", "work_date"),
        Index("ix_work_entries_item_day", "tenant_id", "item_id", "work_date"),
        Index("ix_work_entries_state", "tenant_id", "state", "submitted_at"),
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
    evidence_ref: Mapped[str | None] = mapped_column(String(300))  # document number in the e-document system
    evidence_url: Mapped[str | None] = mapped_column(String(1000))
    attachment_ref: Mapped[str | None] = mapped_column(String(300))
    deadline: Mapped[date | None]
    completed_on: Mapped[date | None]
    late_working_days: Mapped[int] = mapped_column(Integer, default=0)  # completed_on after deadline
    quality: Mapped[str | None] = mapped_column(String(40))  # a code of the tenant's quality table
    submitted_at: Mapped[datetime | None]
    reviewed_by: Mapped[uuid.UUID | None]  # the principal who approved or returned it
    reviewed_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(1000))
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[EntrySource] = mapped_column(
        Enum(EntrySource, name="work_entry_source", native_enum=False, length=20), default=EntrySource.manual
    )
    source_event_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DayKind(enum.StrEnum):
    holiday = "holiday"  # a weekday off (Tết, 30/4 …)
    working = "working"  # a weekend day worked (to make up for a bridge holiday)


class CalendarDay(TenantScoped, Base):
    """Exceptions to the Monday-to-Friday week; the Vietnamese public holidays are the default."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(Enum(DayKind, name="calendar_day_kind", native_enum=False, length=20))
    name: Mapped[str] = mapped_column(String(200))


class ClosedPeriod(TenantScoped, Base):
    """A closed month: its entries are locked and can no longer change."""

    __tablename__ = "closed_periods"

    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[uuid.UUID | None]
    locked_entries: Mapped[int] = mapped_column(Integer, default=0)


class EdocIntegration(TenantScoped, Base):
    """The tenant's e-document system: the webhook secret and how its document types map to items."""

    __tablename__ = "edoc_integrations"

    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    item_map: Mapped[dict] = mapped_column(JsonType, default=dict)  # document type -> item code
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EventStatus(enum.StrEnum):
    entry_created = "entry_created"
    parked = "parked"  # unknown official or item, or a closed period: waiting for the admin
    resolved = "resolved"
    dismissed = "dismissed"


class EdocEvent(TenantScoped, Base):
    __tablename__ = "edoc_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_edoc_events_status", "tenant_id", "status", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[EventStatus] = mapped_column(
        Enum(EventStatus, name="edoc_event_status", native_enum=False, length=20)
    )
    payload: Mapped[dict] = mapped_column(JsonType)
    entry_id: Mapped[uuid.UUID | None]
    problem_code: Mapped[str | None] = mapped_column(String(60))
    problem: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[uuid.UUID | None]
    resolved_at: Mapped[datetime | None]
