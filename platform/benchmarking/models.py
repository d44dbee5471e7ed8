"""The national taxonomy (untenanted, versioned), each tenant's mapping to it and its preference,
and the read model: one snapshot per tenant and month and the published cells of it.

The read model tables are tenant-owned (row-level security like every tenant table) but written
only through the cross-tenant door: the app role may read its own tenant's rows and nothing else,
and may not write them. They hold no person id, no name, no staff code, no tenant free text, and no
row for a cell below the minimum group size or suppressed to protect one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow

ALL = "*"  # a dimension not broken down (the margin)
UNMAPPED = "unmapped"  # the tenant has not mapped it: counted as such, never guessed
INHERIT = "inherit"  # a unit kind mapped to "as the unit above" (divisions, offices)
DIMENSIONS = ("unit_kind", "sector", "position_category", "staff_kind")
# The counts of a cell (officials, or entries for the review figures): they add up over cells.
COUNTS = (
    "headcount",
    "rated",
    "tier_1",
    "tier_2",
    "tier_3",
    "tier_4",
    "tier_1_before_quota",
    "tier_2_before_quota",
    "demoted_by_quota",
    "method_hours",
    "method_decree",
    "coverage_known",
    "coverage_ok",
    "entries_reviewed",
    "entries_returned",
    "latency_entries",
    "above_cap",
    "kpi_officials",
)


class TaxonomyVersion(Base):
    """A published version of the national taxonomy. Untenanted reference data."""

    __tablename__ = "benchmark_taxonomy_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    valid_from: Mapped[date]
    note: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaxonomyTerm(Base):
    __tablename__ = "benchmark_taxonomy_terms"
    __table_args__ = (ForeignKeyConstraint(["version"], ["benchmark_taxonomy_versions.number"]),)

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Mapping(TenantScoped, Base):
    """One of the tenant's things mapped along one dimension: a unit kind, a unit, a position
    category, a position or a catalog item (by its code), to a term of the taxonomy."""

    __tablename__ = "benchmark_mappings"

    subject: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    term: Mapped[str] = mapped_column(String(60))
    updated_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Preference(TenantScoped, Base):
    """Whether other provinces see this province by name (off unless the province opts in)."""

    __tablename__ = "benchmark_preferences"

    named_to_peers: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Snapshot(TenantScoped, Base):
    """One tenant's month in the read model: what it was computed from and how much was held back."""

    __tablename__ = "benchmark_snapshots"

    month: Mapped[date] = mapped_column(primary_key=True)
    taxonomy_version: Mapped[int] = mapped_column(Integer)
    min_group_size: Mapped[int] = mapped_column(Integer)
    source_run_id: Mapped[uuid.UUID]
    method: Mapped[str] = mapped_column(String(20))
    quota_share: Mapped[float] = mapped_column(Numeric(4, 3))
    fingerprint: Mapped[str] = mapped_column(String(64))
    cells_published: Mapped[int] = mapped_column(Integer, default=0)
    cells_suppressed: Mapped[int] = mapped_column(Integer, default=0)
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    unmapped: Mapped[dict] = mapped_column(JsonType, default=dict)  # units, positions, items: counts
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cell(TenantScoped, Base):
    """The aggregates of one published cell of a tenant's month. A dimension is a term code,
    "unmapped", or "*" (all)."""

    __tablename__ = "benchmark_cells"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "month"], ["benchmark_snapshots.tenant_id", "benchmark_snapshots.month"], ondelete="CASCADE"
        ),
    )

    month: Mapped[date] = mapped_column(primary_key=True)
    unit_kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    sector: Mapped[str] = mapped_column(String(60), primary_key=True)
    position_category: Mapped[str] = mapped_column(String(60), primary_key=True)
    staff_kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    headcount: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    tier_1: Mapped[int] = mapped_column(Integer)
    tier_2: Mapped[int] = mapped_column(Integer)
    tier_3: Mapped[int] = mapped_column(Integer)
    tier_4: Mapped[int] = mapped_column(Integer)
    tier_1_before_quota: Mapped[int] = mapped_column(Integer)
    tier_2_before_quota: Mapped[int] = mapped_column(Integer)
    demoted_by_quota: Mapped[int] = mapped_column(Integer)
    total_mean: Mapped[float | None] = mapped_column(Numeric(6, 2))
    total_q1: Mapped[float | None] = mapped_column(Numeric(6, 1))
    total_median: Mapped[float | None] = mapped_column(Numeric(6, 1))
    total_q3: Mapped[float | None] = mapped_column(Numeric(6, 1))
    task_mean: Mapped[float | None] = mapped_column(Numeric(6, 2))
    task_q1: Mapped[float | None] = mapped_column(Numeric(6, 1))
    task_median: Mapped[float | None] = mapped_column(Numeric(6, 1))
    task_q3: Mapped[float | None] = mapped_column(Numeric(6, 1))
    method_hours: Mapped[int] = mapped_column(Integer)
    method_decree: Mapped[int] = mapped_column(Integer)
    coverage_known: Mapped[int] = mapped_column(Integer)  # officials with working days in the month
    coverage_ok: Mapped[int] = mapped_column(Integer)  # … with entries on at least 80 % of them
    entries_reviewed: Mapped[int] = mapped_column(Integer)
    entries_returned: Mapped[int] = mapped_column(Integer)
    latency_entries: Mapped[int] = mapped_column(Integer)
    latency_mean: Mapped[float | None] = mapped_column(Numeric(6, 2))  # working days, submit -> decision
    working_days: Mapped[float] = mapped_column(Numeric(10, 1))
    hours_per_day: Mapped[float | None] = mapped_column(Numeric(6, 2))  # credited hours per official-day
    above_cap: Mapped[int] = mapped_column(Integer)  # officials above the flag (8 h a working day)
    needed_fte: Mapped[float] = mapped_column(Numeric(10, 2))
    kpi_officials: Mapped[int] = mapped_column(Integer)
    kpi_mean: Mapped[float | None] = mapped_column(Numeric(6, 2))


class Refresh(Base):
    """A run of the read model's refresh (nightly, after a month's scoring, or asked for), with its
    progress. Untenanted; written through the door."""

    __tablename__ = "benchmark_refreshes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reason: Mapped[str] = mapped_column(String(40))  # nightly, month_scored, manual
    scope: Mapped[dict] = mapped_column(JsonType, default=dict)  # tenants (ids) and months, or empty: all
    status: Mapped[str] = mapped_column(String(20))  # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)  # tenant-months to look at
    done: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[dict] = mapped_column(JsonType, default=dict)  # refreshed, unchanged, removed
    requested_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
