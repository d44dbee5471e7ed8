"""Org units with effective-dated versions, job positions, officials and their assignments.

Dates are calendar days; every period is half-open: valid_from <= day < valid_to (NULL = open).
A unit's identity (code) never changes; its name, kind and parent live in versions, so a rename or
a move starts a new version and the past stays as it was.
"""

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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, JsonType, TenantScoped, utcnow


class PositionCategory(enum.StrEnum):
    leadership = "leadership"  # lãnh đạo, quản lý
    professional = "professional"  # chuyên môn, nghiệp vụ
    support = "support"  # hỗ trợ, phục vụ


class EmploymentKind(enum.StrEnum):
    can_bo = "can_bo"  # cán bộ (elected/appointed)
    cong_chuc = "cong_chuc"  # công chức (civil servant)
    vien_chuc = "vien_chuc"  # viên chức (public employee)
    contract = "contract"  # hợp đồng lao động


class OfficialStatus(enum.StrEnum):
    active = "active"
    on_leave = "on_leave"
    left = "left"


class UnitKind(TenantScoped, Base):
    """A kind of org unit a tenant adds to the built-in ones (service.DEFAULT_UNIT_KINDS)."""

    __tablename__ = "org_unit_kinds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class OrgUnit(TenantScoped, Base):
    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitHead(TenantScoped, Base):
    """Who headed a unit for a period (the default reviewer of its people, the leader scored on its
    results). Effective-dated like assignments, so a month re-scored after a change of head still
    sees the head of that month."""

    __tablename__ = "unit_heads"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["org_units.tenant_id", "org_units.id"]),
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_unit_heads_unit", "tenant_id", "unit_id", "valid_from"),
        Index("ix_unit_heads_official", "tenant_id", "official_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID]
    official_id: Mapped[uuid.UUID]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrgUnitVersion(TenantScoped, Base):
    __tablename__ = "org_unit_versions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["org_units.tenant_id", "org_units.id"]),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["org_units.tenant_id", "org_units.id"]),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_org_unit_versions_unit", "tenant_id", "unit_id", "valid_from"),
        Index("ix_org_unit_versions_parent", "tenant_id", "parent_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID]
    name_vi: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[uuid.UUID | None]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    change_reason: Mapped[str | None] = mapped_column(String(300))


class JobPosition(TenantScoped, Base):
    """A job position (vị trí việc làm); its approved job description comes with the catalog."""

    __tablename__ = "job_positions"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60))
    name_vi: Mapped[str] = mapped_column(String(300))
    category: Mapped[PositionCategory] = mapped_column(
        Enum(PositionCategory, name="position_category", native_enum=False, length=20)
    )
    unit_kinds: Mapped[list] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Official(TenantScoped, Base):
    __tablename__ = "officials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "staff_code"),
        ForeignKeyConstraint(["tenant_id", "reviewer_id"], ["officials.tenant_id", "officials.id"]),
        ForeignKeyConstraint(["tenant_id", "principal_id"], ["principals.tenant_id", "principals.id"]),
        Index("ix_officials_sort", "tenant_id", "sort_key", "staff_code"),
        # Trigram index for LIKE '%…%' search on PostgreSQL (a plain index elsewhere).
        Index(
            "ix_officials_search_trgm",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    staff_code: Mapped[str] = mapped_column(String(60))
    full_name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(Text)  # folded: no diacritics, lowercase
    sort_key: Mapped[str] = mapped_column(Text)  # Vietnamese order, given name first
    email: Mapped[str | None] = mapped_column(String(254))
    employment_kind: Mapped[EmploymentKind] = mapped_column(
        Enum(EmploymentKind, name="employment_kind", native_enum=False, length=20)
    )
    status: Mapped[OfficialStatus] = mapped_column(
        Enum(OfficialStatus, name="official_status", native_enum=False, length=20), default=OfficialStatus.active
    )
    reviewer_id: Mapped[uuid.UUID | None]  # overrides the unit head
    principal_id: Mapped[uuid.UUID | None]  # the account this official signs in with
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assignment(TenantScoped, Base):
    """An official holds a position in a unit for a period; one primary at a time, concurrent
    secondary posts allowed."""

    __tablename__ = "assignments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "official_id"], ["officials.tenant_id", "officials.id"]),
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["org_units.tenant_id", "org_units.id"]),
        ForeignKeyConstraint(["tenant_id", "position_id"], ["job_positions.tenant_id", "job_positions.id"]),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        CheckConstraint("share > 0 AND share <= 1", name="share"),
        Index("ix_assignments_official", "tenant_id", "official_id", "valid_from"),
        Index("ix_assignments_unit", "tenant_id", "unit_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    official_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    position_id: Mapped[uuid.UUID]
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    share: Mapped[float] = mapped_column(Numeric(4, 3), default=1)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    change_reason: Mapped[str | None] = mapped_column(String(300))
