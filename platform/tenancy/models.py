from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from kpi_platform.db import Base, utcnow


class TenantStatus(enum.StrEnum):
    provisioning = "provisioning"
    pilot = "pilot"
    active = "active"
    suspended = "suspended"


class TenantKind(enum.StrEnum):
    province = "province"
    ministry = "ministry"
    system = "system"  # the reserved tenant holding global principals


class Tenant(Base):
    """The registry of tenants. Not tenant-owned itself: the app role may read it, and only the
    cross-tenant door may write it."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TenantKind] = mapped_column(
        Enum(TenantKind, name="tenant_kind", native_enum=False, length=20), default=TenantKind.province
    )
    status: Mapped[TenantStatus] = mapped_column(
        Enum(TenantStatus, name="tenant_status", native_enum=False, length=20),
        default=TenantStatus.provisioning,
    )
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.suspended

    @property
    def is_system(self) -> bool:
        return self.kind == TenantKind.system

    def as_audit(self) -> dict:
        return {
            "slug": self.slug,
            "name_vi": self.name_vi,
            "name_en": self.name_en,
            "kind": str(self.kind),
            "status": str(self.status),
            "time_zone": self.time_zone,
        }
