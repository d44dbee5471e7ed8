"""Scoring's tables: period runs and their results (each run keeps the settings it used, so it can
be recomputed), general-criteria marks, leave, disciplinary records, organisational KPI, assigned
products (Decree 335). The settings themselves are tenant_settings'."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class PeriodKind(enum.StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class RunStatus(enum.StrEnum):
    running = "running"
    done = "done"
    failed = "failed"


class PeriodRun(TenantScoped, Base):
    """One computation of a period's results, with the settings it used (version and a copy)."""

    __tablename__ = "period_runs"
    __table_args__ = (Index("ix_period_runs_period", "tenant_id", "kind", "start", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[PeriodKind] = mapped_column(Enum(PeriodKind, name="period_kind", native_enum=False, length=10))
    start: Mapped[date]
    end: Mapped[date]  # exclusive
    method: Mapped[str] = mapped_column(String(20))
    settings_version_id: Mapped[uuid.UUID | None]  # None: the defaults of domain.md
    settings: Mapped[dict] = mapped_column(JsonType)
    status: Mapped[RunStatus] = mapped_column(Enum(RunStatus, name="run_status", native_enum=False, length=10))
    reason: Mapped[str] = mapped_column(String(40))  # period_close, settings_change, manual
    progress: Mapped[dict] = mapped_column(JsonType, default=dict)
    officials: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class PeriodResult(TenantScoped, Base):
    __tablename__ = "period_results"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "run_id"], ["period_runs.tenant_id", "period_runs.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        Index("ix_period_results_official", "tenant_id", "official_id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    official_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    unit_id: Mapped[uuid.UUID | None]
    agency_id: Mapped[uuid.UUID | None]
    duty_group: Mapped[str | None] = mapped_column(String(40))  # the quota's "similar duties": position category
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    working_days: Mapped[float] = mapped_column(Numeric(6, 2), default=0)
    available_hours: Mapped[float] = mapped_column(Numeric(9, 2), default=0)
    credited_hours: Mapped[float] = mapped_column(Numeric(12, 4), default=0)
    points: Mapped[float] = mapped_column(Numeric(12, 4), default=0)
    own_task: Mapped[float | None] = mapped_column(Numeric(7, 3))
    unit_score: Mapped[float | None] = mapped_column(Numeric(7, 3))
    task: Mapped[float] = mapped_column(Numeric(7, 3), default=0)
    general: Mapped[float] = mapped_column(Numeric(7, 3), default=0)
    general_assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[float] = mapped_column(Numeric(7, 3), default=0)
    tier: Mapped[int] = mapped_column(Integer)
    tier_before_quota: Mapped[int] = mapped_column(Integer)
    demoted_by_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    disqualified: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[list] = mapped_column(JsonType, default=list)
    method: Mapped[str] = mapped_column(String(20), default="hours")
    details: Mapped[dict | None] = mapped_column(JsonType)  # decree-335: a, b, c (d, đ, e), W


class GeneralMark(TenantScoped, Base):
    """The reviewer's mark for the general criteria (political quality, ethics, discipline …), 0 to 30."""

    __tablename__ = "general_marks"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),)

    official_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    score: Mapped[float] = mapped_column(Numeric(5, 2))
    marked_by: Mapped[uuid.UUID | None]
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Leave(TenantScoped, Base):
    """Approved leave: its working days are not available time."""

    __tablename__ = "leave_periods"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        CheckConstraint("last_day >= first_day", name="order"),
        Index("ix_leave_periods_official", "tenant_id", "official_id", "first_day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    official_id: Mapped[uuid.UUID]
    first_day: Mapped[date]
    last_day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(40))  # annual, sick, maternity, study …
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[uuid.UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisciplinaryRecord(TenantScoped, Base):
    """A disciplinary measure with its decision; reprimand or heavier in the year disqualifies."""

    __tablename__ = "disciplinary_records"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    official_id: Mapped[uuid.UUID]
    measure: Mapped[str] = mapped_column(
        String(40)
    )  # khien_trach, canh_cao, ha_bac_luong, giang_chuc, cach_chuc, buoc_thoi_viec
    decision_number: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[uuid.UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiIndicator(TenantScoped, Base):
    __tablename__ = "kpi_indicators"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60))
    name_vi: Mapped[str] = mapped_column(String(300))
    group: Mapped[str] = mapped_column(String(60))  # administrative_reform, service_quality, socio_economic …
    direction: Mapped[str] = mapped_column(String(10))  # higher or lower (is better)
    unit_of_measure: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiValue(TenantScoped, Base):
    """An indicator's target, actual value and weight for one agency or locality in one period."""

    __tablename__ = "kpi_values"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "indicator_id"], ["kpi_indicators.tenant_id", "kpi_indicators.id"]),
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["org_units.tenant_id", "org_units.id"]),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("target > 0", name="target_positive"),
    )

    indicator_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[PeriodKind] = mapped_column(
        Enum(PeriodKind, name="period_kind", native_enum=False, length=10), primary_key=True
    )
    start: Mapped[date] = mapped_column(primary_key=True)
    target: Mapped[float] = mapped_column(Numeric(16, 4))
    actual: Mapped[float | None] = mapped_column(Numeric(16, 4))
    weight: Mapped[float] = mapped_column(Numeric(7, 3), default=1)
    source: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProductSource(enum.StrEnum):
    assigned = "assigned"  # the manager gave it
    plan = "plan"  # the official planned it; counts once the manager accepts
    unplanned = "unplanned"  # not planned, approved work: counts as assigned and completed


class ProductStatus(enum.StrEnum):
    proposed = "proposed"
    assigned = "assigned"
    cancelled = "cancelled"


class AssignedProduct(TenantScoped, Base):
    """Giao việc (Decree 335): a catalog item assigned to an official for a month, with a quantity
    and a deadline; approved work entries of that item complete it. The reviewer records failed
    quality assessments and delays, each unless marked objective costing 25 % of its quality or
    progress points."""

    __tablename__ = "assigned_products"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        ForeignKeyConstraint(["tenant_id", "item_id"], ["catalog_items.tenant_id", "catalog_items.id"]),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_assigned_products_month", "tenant_id", "month", "official_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    official_id: Mapped[uuid.UUID]
    item_id: Mapped[uuid.UUID]
    month: Mapped[date]  # first day of the month it is assigned for
    quantity: Mapped[float] = mapped_column(Numeric(9, 2))
    deadline: Mapped[date | None]
    source: Mapped[ProductSource] = mapped_column(
        Enum(ProductSource, name="product_source", native_enum=False, length=20)
    )
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, name="product_status", native_enum=False, length=20)
    )
    note: Mapped[str | None] = mapped_column(String(500))
    quality_failures: Mapped[int] = mapped_column(Integer, default=0)  # counted (not objective)
    delays: Mapped[int] = mapped_column(Integer, default=0)
    objective_failures: Mapped[int] = mapped_column(Integer, default=0)  # recorded, with an objective cause
    assessments: Mapped[list] = mapped_column(JsonType, default=list)
    assigned_by: Mapped[uuid.UUID | None]
    accepted_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderMark(TenantScoped, Base):
    """Criterion e (internal unity) of a leader for a month, set by their superior: 1.0 or 0.5."""

    __tablename__ = "leader_marks"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),)

    official_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    unity: Mapped[float] = mapped_column(Numeric(3, 2))
    marked_by: Mapped[uuid.UUID | None]
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
