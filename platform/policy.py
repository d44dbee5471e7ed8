"""Access declared on every endpoint, and who is asking. The check itself runs in
identity.auth.authenticate_request, before the view.

    @access(Role.provincial_admin)            # tenant endpoint, these roles
    @access()                                 # tenant endpoint, any principal of the tenant
    @access(Role.platform_operator, scope=PLATFORM)
    @page(Role.manager)                       # browser page: a signed-in session of the URL's tenant
    @platform_page(Role.central_analyst)      # browser page of a global account (system tenant session)
    @tenant_entry                             # browser page of a tenant before sign-in (login, callback)
    @public                                   # no principal needed

A shared module (not a capability's), so the lowest capabilities declare access without depending
on identity, which builds on them. An endpoint without a declaration is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g

from kpi_platform.errors import DomainError

TENANT = "tenant"
PLATFORM = "platform"
PAGE = "page"
PLATFORM_PAGE = "platform_page"
TENANT_ENTRY = "tenant_entry"
PUBLIC = "public"
# Endpoints Flask and flask-smorest add themselves; all are public and read-only.
FRAMEWORK_ENDPOINTS = frozenset({"static", "swagger_ui.static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"})


@dataclass(frozen=True)
class AccessPolicy:
    scope: str
    roles: frozenset[str]  # empty: any principal of the tenant

    def describe(self) -> str:
        return f"{self.scope}:{','.join(sorted(self.roles)) or '*'}"


def access(*roles, scope: str = TENANT):
    policy = AccessPolicy(scope=scope, roles=frozenset(str(r) for r in roles))

    def mark(fn):
        fn.__kpi_access__ = policy
        return fn

    return mark


def public(fn):
    fn.__kpi_access__ = AccessPolicy(scope=PUBLIC, roles=frozenset())
    return fn


def page(*roles):
    return access(*roles, scope=PAGE)


def platform_page(*roles):
    return access(*roles, scope=PLATFORM_PAGE)


def tenant_entry(fn):
    fn.__kpi_access__ = AccessPolicy(scope=TENANT_ENTRY, roles=frozenset())
    return fn


def policy_for(app: Flask, endpoint: str, method: str) -> AccessPolicy | None:
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view
    if target is None and method == "HEAD" and view_class:
        target = getattr(view_class, "get", None)
    return getattr(target, "__kpi_access__", None)


class TenantSuspended(DomainError):
    status = 403
    code = "tenant_suspended"


class LoginRequired(DomainError):
    """A page needs a signed-in session; the pages answer it with a redirect to the login page."""

    status = 401
    code = "authentication_required"


def current_principal():
    return g.principal


def current_tenant():
    return g.tenant
