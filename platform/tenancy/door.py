"""The one narrow door for cross-tenant work.

Platform operators (tenant registry) and, later, the benchmarking read models need rows of several
tenants. They get them only here: a session on the cross-tenant database role (its own RLS policy
admits every tenant), with the ORM tenant filter off, and an audit entry in the system tenant
naming who went through and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kpi_platform.audit import service as audit
from kpi_platform.context import SYSTEM_TENANT_ID
from kpi_platform.db import CROSS_TENANT, TenantSession, db


@contextmanager
def cross_tenant_session(reason: str, *, details: dict | None = None) -> Iterator[TenantSession]:
    """Yield a session that sees every tenant; commits on success, rolls back on error."""
    if not reason:
        raise ValueError("cross-tenant access needs a reason for the audit log")
    session = TenantSession(bind=db.cross_tenant_engine, info={CROSS_TENANT: True}, expire_on_commit=False)
    try:
        yield session
        audit.record(
            "cross_tenant.access",
            "door",
            after={"reason": reason, **(details or {})},
            tenant_id=SYSTEM_TENANT_ID,
            session=session,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
