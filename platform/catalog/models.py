"""The work catalog: items in groups A/B/C/D with versioned norms, the tenant's complexity table,
and job descriptions (which items each job position performs), versioned and approved the same way.

An item's identity (code, group, owning agency for group C) never changes; everything a score
depends on (norm, complexity and its coefficient, output unit) lives in versions. A version goes
draft → submitted → approved (or returned, then edited and submitted again). Approved versions of
one item cover consecutive half-open periods valid_from <= day < valid_to, so "the norm on a day"
has exactly one answer, and a work entry keeps the version it was logged against.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, TenantScoped, utcnow


class Group(enum.StrEnum):
    A = "A"  # leadership and management
    B = "B"  # common professional work by job position
    C = "C"  # sector-specific work of one agency
    D = "D"  # other work


TENANT_WIDE_GROUPS = frozenset({Group.A, Group.B, Group.D})  # approved by the steering committee

GROUP_NAMES = {
    Group.A: ("Lãnh đạo, quản lý", "Leadership and management"),
    Group.B: ("Chuyên môn chung theo vị trí việc làm", "Common professional work by job position"),
    Group.C: ("Chuyên ngành", "Sector-specific work"),
    Group.D: ("Nhiệm vụ khác", "Other work"),
}


class VersionState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"


class ItemStatus(enum.StrEnum):
    """The item as a whole: the state of its first version until one is approved, then approved
    (a pending change does not hide the version in force), until it is retired."""

    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"
    retired = "retired"


def _state(enum_cls, name: str):
    return Enum(enum_cls, name=name, native_enum=False, length=20)


class ComplexityLevel(TenantScoped, Base):
    """The tenant's complexity table; a coefficient is copied into each item version when it is
    written, so changing the table never changes a past score."""

    __tablename__ = "complexity_levels"
    __table_args__ = (CheckConstraint("coefficient > 0", name="coefficient_positive"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    coefficient: Mapped[float] = mapped_column(Numeric(5, 3))
    rank: Mapped[int] = mapped_column(Integer, default=0)


class CatalogItem(TenantScoped, Base):
    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["org_units.tenant_id", "org_units.id"]),
        CheckConstraint("(item_group = 'C') = (agency_id IS NOT NULL)", name="agency_for_group_c"),
        Index("ix_catalog_items_filter", "tenant_id", "item_group", "status"),
        Index(
            "ix_catalog_items_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60))
    item_group: Mapped[Group] = mapped_column(_state(Group, "catalog_group"))
    agency_id: Mapped[uuid.UUID | None]  # group C: the agency that owns and approves it
    status: Mapped[ItemStatus] = mapped_column(_state(ItemStatus, "catalog_item_status"), default=ItemStatus.draft)
    # Copied from the newest version so lists can filter and search without a join.
    name_vi: Mapped[str] = mapped_column(String(500))
    field: Mapped[str | None] = mapped_column(String(120))
    search_text: Mapped[str] = mapped_column(Text)  # code and name folded: no diacritics, lowercase
    retired_on: Mapped[date | None]
    retire_reason: Mapped[str | None] = mapped_column(String(500))
    origin: Mapped[str | None] = mapped_column(String(120))  # e.g. the template pack it came from
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogItemVersion(TenantScoped, Base):
    __tablename__ = "catalog_item_versions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "item_id"], ["catalog_items.tenant_id", "catalog_items.id"]),
        UniqueConstraint("tenant_id", "item_id", "number"),
        CheckConstraint("norm_minutes > 0", name="norm_positive"),
        CheckConstraint("complexity_coefficient > 0", name="coefficient_positive"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_catalog_item_versions_item", "tenant_id", "item_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID]
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(_state(VersionState, "catalog_version_state"))
    name_vi: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str | None] = mapped_column(String(500))
    output_unit: Mapped[str] = mapped_column(String(80))
    norm_minutes: Mapped[float] = mapped_column(Numeric(9, 2))
    complexity: Mapped[str] = mapped_column(String(40))
    complexity_coefficient: Mapped[float] = mapped_column(Numeric(5, 3))
    field: Mapped[str | None] = mapped_column(String(120))
    done_definition: Mapped[str | None] = mapped_column(Text)
    has_deadline: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # set when the next version is approved
    change_note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[uuid.UUID | None]
    submitted_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(1000))


class JobDescription(TenantScoped, Base):
    """What holders of a job position do. The tenant-wide one (agency_id NULL) lists A/B/D items and
    is approved by the steering committee; an agency's own one lists that agency's C items for the
    position and is approved by the agency's head."""

    __tablename__ = "job_descriptions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "position_id"], ["job_positions.tenant_id", "job_positions.id"]),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["org_units.tenant_id", "org_units.id"]),
        # NULLs are distinct in a unique constraint, so the tenant-wide one gets its own index.
        UniqueConstraint("tenant_id", "position_id", "agency_id"),
        Index(
            "uq_job_descriptions_tenant_wide",
            "tenant_id",
            "position_id",
            unique=True,
            postgresql_where=text("agency_id IS NULL"),
            sqlite_where=text("agency_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    position_id: Mapped[uuid.UUID]
    agency_id: Mapped[uuid.UUID | None]
    origin: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobDescriptionVersion(TenantScoped, Base):
    __tablename__ = "job_description_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "job_description_id"], ["job_descriptions.tenant_id", "job_descriptions.id"]
        ),
        UniqueConstraint("tenant_id", "job_description_id", "number"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_job_description_versions_jd", "tenant_id", "job_description_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_description_id: Mapped[uuid.UUID]
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(_state(VersionState, "jd_version_state"))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    change_note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[uuid.UUID | None]
    submitted_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(1000))


class JobDescriptionLine(TenantScoped, Base):
    __tablename__ = "job_description_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "version_id"], ["job_description_versions.tenant_id", "job_description_versions.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "item_id"], ["catalog_items.tenant_id", "catalog_items.id"]),
        CheckConstraint("expected_monthly_volume IS NULL OR expected_monthly_volume >= 0", name="volume"),
        Index("ix_job_description_lines_item", "tenant_id", "item_id"),
    )

    version_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    expected_monthly_volume: Mapped[float | None] = mapped_column(Numeric(9, 2))
