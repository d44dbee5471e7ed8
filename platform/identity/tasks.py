from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from kpi_platform.celery_app import tenant_task
from kpi_platform.db import db
from kpi_platform.identity import service
from kpi_platform.tenancy.models import Tenant


@tenant_task("identity.purge_expired_tokens")
def purge_expired_tokens(tenant_id: str, older_than_days: int = 90) -> int:
    deleted = service.purge_expired_tokens(older_than_days=older_than_days)
    db.session.commit()
    return deleted


@shared_task(name="identity.purge_expired_tokens_all_tenants")
def purge_expired_tokens_all_tenants(older_than_days: int = 90) -> int:
    """Beat job: one task per tenant, each carrying its tenant id."""
    tenant_ids = db.session.scalars(select(Tenant.id).order_by(Tenant.slug)).all()
    for tenant_id in tenant_ids:
        purge_expired_tokens.delay(tenant_id, older_than_days=older_than_days)
    return len(tenant_ids)
