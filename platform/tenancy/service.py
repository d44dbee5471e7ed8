"""Tenant registry: create, list, update, suspend. Writes go through the cross-tenant door."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import Conflict, Invalid, NotFound
from kpi_platform.tenancy.door import cross_tenant_session
from kpi_platform.tenancy.models import Tenant, TenantKind, TenantStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {"platform", "api", "admin", "static", "www", "t", "login", "logout", "healthz", "app", "auth", "sso"}
)
EDITABLE_FIELDS = ("name_vi", "name_en", "status", "time_zone")


def _check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise Invalid(
            "Mã tỉnh chỉ gồm chữ thường không dấu, số và dấu gạch ngang (vd. khanh-hoa).",
            "The slug may contain lowercase letters, digits and hyphens only (e.g. khanh-hoa).",
            fields={"slug": ["invalid"]},
        )
    if slug in RESERVED_SLUGS:
        raise Invalid(
            f"Mã '{slug}' được hệ thống dành riêng.", f"The slug '{slug}' is reserved.", fields={"slug": ["reserved"]}
        )
    return slug


def _check_time_zone(time_zone: str) -> str:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"Múi giờ '{time_zone}' không tồn tại.",
            f"Unknown time zone '{time_zone}'.",
            fields={"time_zone": ["unknown"]},
        ) from None
    return time_zone


def _check_name(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            f"Trường {field} không được để trống.", f"{field} must not be empty.", fields={field: ["required"]}
        )
    return value


def local_today(tenant: Tenant) -> date:
    """Today's date where the tenant is (its work days and deadlines are local)."""
    return datetime.now(ZoneInfo(tenant.time_zone)).date()


def tenant_today() -> date:
    """Today where the current tenant is."""
    return local_today(get_tenant(require_tenant_id()))


def get_tenant_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def get_tenant(tenant_id: uuid.UUID) -> Tenant | None:
    return db.session.get(Tenant, tenant_id)


def require_tenant_by_slug(slug: str, *, include_system: bool = False) -> Tenant:
    tenant = get_tenant_by_slug(slug)
    if tenant is None or (tenant.is_system and not include_system):
        raise NotFound()
    return tenant


def list_tenants(status: TenantStatus | None = None):
    """A select of the real tenants (not the system tenant), sorted by slug."""
    stmt = select(Tenant).where(Tenant.kind != TenantKind.system)
    if status:
        stmt = stmt.where(Tenant.status == status)
    return stmt.order_by(Tenant.slug)


def create_tenant(
    *,
    slug: str,
    name_vi: str,
    name_en: str,
    kind: TenantKind = TenantKind.province,
    status: TenantStatus = TenantStatus.provisioning,
    time_zone: str = "Asia/Ho_Chi_Minh",
    then: Callable[[Session, Tenant], None] | None = None,
) -> Tenant:
    """Create a tenant in one transaction of the cross-tenant door; `then(session, tenant)` adds to
    that transaction what must come with it (onboarding's first provincial admin)."""
    slug = _check_slug(slug)
    if kind == TenantKind.system:
        raise Invalid(fields={"kind": ["reserved"]})
    tenant = Tenant(
        id=uuid.uuid4(),
        slug=slug,
        name_vi=_check_name("name_vi", name_vi),
        name_en=_check_name("name_en", name_en),
        kind=TenantKind(kind),
        status=TenantStatus(status),
        time_zone=_check_time_zone(time_zone),
    )
    try:
        with cross_tenant_session("create tenant", details={"slug": slug}) as session:
            if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
                raise Conflict(
                    f"Mã tỉnh '{slug}' đã tồn tại.", f"A tenant '{slug}' already exists.", fields={"slug": ["taken"]}
                )
            session.add(tenant)
            session.flush()
            audit.record(
                "tenant.create", "tenant", tenant.id, after=tenant.as_audit(), tenant_id=tenant.id, session=session
            )
            if then is not None:
                then(session, tenant)
    except IntegrityError:
        raise Conflict(
            f"Mã tỉnh '{slug}' đã tồn tại.", f"A tenant '{slug}' already exists.", fields={"slug": ["taken"]}
        ) from None
    return tenant


def update_tenant(slug: str, changes: dict) -> Tenant:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(fields={name: ["unknown field"] for name in sorted(unknown)})
    with cross_tenant_session("update tenant", details={"slug": slug, "fields": sorted(changes)}) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.kind != TenantKind.system))
        if tenant is None:
            raise NotFound()
        before = tenant.as_audit()
        for name, value in changes.items():
            if name in ("name_vi", "name_en"):
                value = _check_name(name, value)
            elif name == "time_zone":
                value = _check_time_zone(value)
            elif name == "status":
                value = TenantStatus(value)
            setattr(tenant, name, value)
        session.flush()
        action = "tenant.update"
        if "status" in changes and before["status"] != str(tenant.status):
            action = "tenant.suspend" if tenant.is_suspended else "tenant.status_change"
        audit.record(
            action, "tenant", tenant.id, before=before, after=tenant.as_audit(), tenant_id=tenant.id, session=session
        )
    return tenant


def suspend_tenant(slug: str) -> Tenant:
    return update_tenant(slug, {"status": TenantStatus.suspended})
