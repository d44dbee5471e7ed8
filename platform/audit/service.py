"""Writing and reading the audit log. Callers pass what changed; who and which request come from
the context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kpi_platform.audit.models import AuditEntry
from kpi_platform.context import current_actor, current_request_id, require_tenant_id
from kpi_platform.db import TenantSession, db
from kpi_platform.errors import NotFound


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(TenantSession, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


def record(
    action: str,
    object_type: str,
    object_id=None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    tenant_id: uuid.UUID | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's current transaction (it commits with the change)."""
    actor = current_actor()
    entry = AuditEntry(
        tenant_id=tenant_id or require_tenant_id(),
        actor_id=actor.principal_id if actor else None,
        actor_label=actor.label if actor else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        before=before,
        after=after,
        request_id=current_request_id(),
    )
    (session or db.session).add(entry)
    return entry


def list_entries(
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """A select of the current tenant's entries, newest first (paginated by the caller)."""
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditEntry.occurred_at >= since)
    if until:
        stmt = stmt.where(AuditEntry.occurred_at < until)
    return stmt.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())


def get_entry(entry_id: uuid.UUID) -> AuditEntry:
    entry = db.session.get(AuditEntry, (require_tenant_id(), entry_id))
    if entry is None:
        raise NotFound()
    return entry
