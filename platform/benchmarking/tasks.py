"""Refreshing the read model in Celery: after a month's scoring run (one tenant, one month), nightly
from beat and when a platform operator asks (every tenant, the months with a finished run). Each
refresh has a row (benchmark_refreshes) with its progress in tenants and what it did; the work per
tenant runs as a tenant task, so its reads stay inside the tenant.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from kpi_platform.benchmarking import readmodel
from kpi_platform.benchmarking.models import Refresh
from kpi_platform.celery_app import tenant_task
from kpi_platform.db import db, utcnow
from kpi_platform.tenancy.door import cross_tenant_session
from kpi_platform.tenancy.models import Tenant, TenantKind

MONTHS_BACK = 13


def min_group_size() -> int:
    return current_app.config["SETTINGS"].benchmark_min_group_size


def start(reason: str, *, tenants: list | None = None, months: list[str] | None = None, by=None) -> Refresh:
    """A refresh row, queued, for every tenant (or those named)."""
    if tenants is None:
        tenants = list(
            db.session.scalars(select(Tenant.id).where(Tenant.kind != TenantKind.system).order_by(Tenant.slug))
        )
    refresh = Refresh(
        id=uuid.uuid4(),
        reason=reason,
        scope={"tenants": [str(t) for t in tenants], "months": months},
        status="queued" if tenants else "done",
        total=len(tenants),
        done=0,
        outcome={},
        requested_by=by.id if by else None,
    )
    with cross_tenant_session("benchmarking.refresh.start", details={"reason": reason, "tenants": len(tenants)}) as s:
        s.add(refresh)
    return refresh


def _advance(refresh_id: uuid.UUID, outcome: dict[str, int], *, error: str | None = None) -> None:
    with cross_tenant_session("benchmarking.refresh.progress", details={"refresh_id": str(refresh_id)}) as s:
        refresh = s.scalar(select(Refresh).where(Refresh.id == refresh_id).with_for_update())
        counts = dict(refresh.outcome or {})
        for key, n in outcome.items():
            counts[key] = counts.get(key, 0) + n
        refresh.outcome, refresh.done = counts, refresh.done + 1
        if error:
            refresh.error = error[:500]
        if refresh.done >= refresh.total:
            refresh.status, refresh.finished_at = ("failed" if refresh.error else "done"), utcnow()
        else:
            refresh.status = "running"


@tenant_task("benchmarking.refresh_tenant")
def refresh_tenant(tenant_id: str, refresh_id: str, months: list[str] | None = None, force: bool = False) -> dict:
    """One tenant's months (those given, or every month with a finished run in the last 13)."""
    wanted = (
        [date.fromisoformat(m) for m in months]
        if months
        else readmodel.months_with_runs(date.today().replace(day=1) - timedelta(days=31 * MONTHS_BACK))
    )
    outcome: dict[str, int] = {}
    try:
        for month in wanted:
            result = readmodel.refresh(month, min_size=min_group_size(), force=force)
            outcome[result] = outcome.get(result, 0) + 1
    except Exception as error:
        db.session.rollback()
        _advance(uuid.UUID(refresh_id), outcome, error=f"{type(error).__name__}: {error}")
        raise
    _advance(uuid.UUID(refresh_id), outcome)
    return outcome


@tenant_task("benchmarking.refresh_month")
def refresh_month(tenant_id: str, month: str) -> dict:
    """After a month's scoring run: that tenant's month."""
    refresh = start("month_scored", tenants=[uuid.UUID(tenant_id)], months=[month])
    return refresh_tenant.run(tenant_id, str(refresh.id), [month])


@shared_task(name="benchmarking.refresh_all")
def refresh_all(refresh_id: str | None = None, force: bool = False) -> str:
    """Beat job (nightly), and the operator's refresh: one tenant task per tenant of the refresh."""
    if refresh_id is None:
        refresh_id = str(start("nightly").id)
    refresh = db.session.get(Refresh, uuid.UUID(refresh_id))
    months = (refresh.scope or {}).get("months")
    for tenant_id in (refresh.scope or {}).get("tenants") or []:
        refresh_tenant.delay(tenant_id, refresh_id, months, force)
    return refresh_id
