"""Per-request (or per-task) context: the current tenant, the acting principal, the request id.

Context variables, so threads and tasks each see their own values.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# The reserved tenant that holds global principals (platform operators, central analysts),
# like Zulip's internal realm. Created by the first migration.
SYSTEM_TENANT_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
SYSTEM_TENANT_SLUG = "platform"


@dataclass(frozen=True)
class Actor:
    principal_id: uuid.UUID | None
    label: str


_tenant: ContextVar[uuid.UUID | None] = ContextVar("kpi_tenant", default=None)
_actor: ContextVar[Actor | None] = ContextVar("kpi_actor", default=None)
_request_id: ContextVar[str | None] = ContextVar("kpi_request_id", default=None)


class NoTenantContext(RuntimeError):
    """Tenant-owned data was touched with no tenant selected."""


def current_tenant_id() -> uuid.UUID | None:
    return _tenant.get()


def require_tenant_id() -> uuid.UUID:
    tenant_id = _tenant.get()
    if tenant_id is None:
        raise NoTenantContext("no tenant is selected for this operation")
    return tenant_id


def set_tenant(tenant_id: uuid.UUID | None):
    """Select a tenant; returns a token for reset_tenant. Keeps an open DB transaction in step."""
    token = _tenant.set(tenant_id)
    from kpi_platform.db import sync_session_tenant

    sync_session_tenant()
    return token


def reset_tenant(token, *, sync: bool = True) -> None:
    _tenant.reset(token)
    if sync:
        from kpi_platform.db import sync_session_tenant

        sync_session_tenant()


@contextmanager
def tenant_scope(tenant_id: uuid.UUID) -> Iterator[uuid.UUID]:
    token = set_tenant(tenant_id)
    try:
        yield tenant_id
    finally:
        reset_tenant(token)


def current_actor() -> Actor | None:
    return _actor.get()


def set_actor(actor: Actor | None):
    return _actor.set(actor)


def reset_actor(token) -> None:
    _actor.reset(token)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None):
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)
