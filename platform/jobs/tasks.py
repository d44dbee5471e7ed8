from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from sqlalchemy import select

from kpi_platform.context import tenant_scope
from kpi_platform.db import db, separate_session
from kpi_platform.jobs import service
from kpi_platform.tenancy.models import Tenant, TenantKind


@shared_task(name="jobs.sweep_all_tenants")
def sweep_all_tenants(grace_seconds: float = service.PENDING_GRACE.total_seconds()) -> int:
    """Beat, every minute: each tenant's jobs that never reached the broker, or that it lost
    (a job younger than `grace_seconds` is left to the request handing it over itself)."""
    with separate_session():
        tenant_ids = db.session.scalars(select(Tenant.id).where(Tenant.kind != TenantKind.system)).all()
    handed = 0
    for tenant_id in tenant_ids:
        with separate_session(), tenant_scope(tenant_id):
            handed += service.sweep(grace=timedelta(seconds=grace_seconds))
    return handed
