"""Authentication of every request against the access its endpoint declares (kpi_platform.policy).

The check runs in before_request, so a request without valid credentials gets 401 before its body
is even parsed. An endpoint without a declaration is refused (and a test lists such endpoints).
"""

from __future__ import annotations

import redis
from flask import current_app, g, request

from kpi_platform.cache import cache
from kpi_platform.context import SYSTEM_TENANT_ID, Actor, set_actor, set_tenant
from kpi_platform.db import db
from kpi_platform.errors import Forbidden, NotFound, Unauthorized
from kpi_platform.identity import access_tokens, service
from kpi_platform.policy import (
    FRAMEWORK_ENDPOINTS,
    PAGE,
    PLATFORM,
    PLATFORM_PAGE,
    PUBLIC,
    TENANT_ENTRY,
    AccessPolicy,
    LoginRequired,
    TenantSuspended,
    policy_for,
)
from kpi_platform.tenancy import service as tenancy

TOKEN_TOUCH_SECONDS = 60


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _tenant_from_host(base_domain: str) -> str | None:
    """With KPI_BASE_DOMAIN set, <slug>.<base domain> names a tenant too (api., www. … do not)."""
    if not base_domain:
        return None
    host = request.host.split(":", 1)[0].lower()
    suffix = "." + base_domain.lower()
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        if label and "." not in label and label not in tenancy.RESERVED_SLUGS:
            return label
    return None


def authenticate_request():
    endpoint = request.endpoint
    if endpoint is None or request.method == "OPTIONS":
        return None
    policy = policy_for(current_app, endpoint, request.method)
    if policy is None:
        if endpoint in FRAMEWORK_ENDPOINTS:
            return None
        raise Forbidden()  # deny by default; tests list every endpoint without a policy
    if policy.scope == PUBLIC:
        return None

    if policy.scope in (PLATFORM, PLATFORM_PAGE):
        tenant = tenancy.get_tenant(SYSTEM_TENANT_ID)
    else:  # global accounts sign in at the system tenant's own sign-in pages
        tenant = _tenant_of_url(include_system=policy.scope == TENANT_ENTRY)
    g.tenant = tenant

    if policy.scope == TENANT_ENTRY:
        g.kpi_tenant_token = set_tenant(tenant.id)
        return None
    if policy.scope in (PAGE, PLATFORM_PAGE):
        g.kpi_tenant_token = set_tenant(tenant.id)
        from kpi_platform.identity import browser  # the browser session lives beside the login pages

        principal = browser.principal_from_cookie(tenant)
        if principal is None:
            raise LoginRequired()
        if tenant.is_suspended:
            raise TenantSuspended()
        _admit(principal, policy)
        return None

    raw = _bearer_token()
    if raw is None:
        raise Unauthorized()
    if not raw.startswith(service.TOKEN_PREFIX + "_"):
        if policy.scope == PLATFORM:
            raise service.InvalidToken()  # global accounts use platform-issued tokens only
        g.kpi_tenant_token = set_tenant(tenant.id)
        principal = access_tokens.authenticate(tenant, raw)
        if tenant.is_suspended:
            raise TenantSuspended()
        _admit(principal, policy)
        return None
    if service.parse_token_tenant(raw) != tenant.id:
        # A principal of another tenant: the same answer as for something that does not exist.
        raise NotFound()
    g.kpi_tenant_token = set_tenant(tenant.id)
    token = service.authenticate_token(raw)
    if tenant.is_suspended:
        raise TenantSuspended()
    _admit(token.principal, policy)
    _touch(token)
    return None


def _tenant_of_url(*, include_system: bool = False):
    slug = g.get("tenant_slug")
    host_slug = _tenant_from_host(current_app.config["SETTINGS"].base_domain)
    if slug is None or (host_slug is not None and host_slug != slug):
        raise NotFound()
    return tenancy.require_tenant_by_slug(slug, include_system=include_system)


def _admit(principal, policy: AccessPolicy) -> None:
    if policy.roles and not principal.has_any_role(policy.roles):
        raise Forbidden()
    g.principal = principal
    g.kpi_actor_token = set_actor(Actor(principal.id, principal.email))


def _touch(token) -> None:
    """Record when a token was last used, at most once a minute; a cache outage only skips this."""
    try:
        first_use_this_minute = cache.add("token-used", token.id, ttl=TOKEN_TOUCH_SECONDS)
    except redis.RedisError as exc:
        current_app.logger.warning("cache unavailable, token use not recorded: %s", exc)
        return
    if first_use_this_minute:
        service.mark_token_used(token)
        db.session.commit()
