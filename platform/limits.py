"""Rate limits (Flask-Limiter on Redis; process memory in the demo). Every limit is a setting
(config.LIMIT_VARIABLES) read at each request, and a breach answers 429 `too_many_requests` in the
one error shape (a page on pages) with Retry-After.

- Failed authentication (a 401 on the API), counted per client address and per token: once either
  count passes its limit, that address or that token is answered 429 before it is even checked. A
  token is counted by its first characters (its public part: for a platform token the tenant and the
  first 8 characters of the secret), never by the secret itself.
- The sign-in pages (login, the redirect to the provider, the callback, the demo's dev login), per
  client address.
- The e-document webhook, per integration (one per tenant).
- Uploads (pack imports, API and page) and exports (catalog, run results, staffing), per principal.
- A generous ceiling on every authenticated API request, per principal.

Limits are decorated onto the routes here, by endpoint, so the API modules stay as they are.
Should the limits' storage fail, the limits are skipped (and the failure logged): the API stays up.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import parse

from kpi_platform.errors import DomainError

PLATFORM_TOKEN_PUBLIC_PART = len("kpi_") + 32 + 1 + 8  # kpi_<tenant hex>_<8 characters of the secret>
# The routes limited by name (init_app fails if one is renamed, so a limit cannot silently fall off).
SIGN_IN = ("signin.login", "signin.start_sso", "signin.callback", "signin.dev_login")
UPLOADS = ("onboarding.Imports", "web.upload_pack")
EXPORTS = ("catalog.Export", "scoring.RunExport", "scoring.Staffing")
WEBHOOK = ("worklog.EdocEvents",)


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.headers["Retry-After"] = str(max(1, retry_after))


def _settings():
    return current_app.config["SETTINGS"]


def client_address() -> str:
    # request.remote_addr is the proxy's unless KPI_PROXY_COUNT lets ProxyFix take X-Forwarded-For.
    return request.remote_addr or "unknown"


def principal_key() -> str:
    principal = g.get("principal")
    return f"principal:{principal.tenant_id}:{principal.id}" if principal is not None else f"addr:{client_address()}"


def integration_key() -> str:
    return f"edoc:{g.get('tenant_slug', '')}"


def token_key(raw: str) -> str:
    if raw.startswith("kpi_"):
        public = raw[:PLATFORM_TOKEN_PUBLIC_PART]
    else:  # a provider's JWT: its first characters are the same header for everyone, so a digest
        public = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"token:{public}"


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _setting(name: str):
    return lambda: getattr(_settings(), name)


def _limiter() -> Limiter:
    return current_app.extensions["kpi_limiter"]


def _failure_keys() -> list[tuple[str, str]]:
    keys = [("limit_auth_failures_per_address", f"addr:{client_address()}")]
    raw = _bearer()
    if raw:
        keys.append(("limit_auth_failures_per_token", token_key(raw)))
    return keys


def _prefix() -> str:
    return _settings().ratelimit_key_prefix + ":auth-failures"


def refuse_after_failed_authentication() -> None:
    """Before authenticating: 429 for an address or a token past its failed-authentication limit."""
    limiter = _limiter()
    if not limiter.enabled or not request.path.startswith("/api/"):
        return
    strategy = limiter.limiter
    for setting, key in _failure_keys():
        limit = parse(getattr(_settings(), setting))
        try:
            allowed = strategy.test(limit, _prefix(), key)
            reset = strategy.get_window_stats(limit, _prefix(), key).reset_time if not allowed else 0
        except Exception as exc:  # the storage is down: count nothing, refuse nothing
            current_app.logger.warning("rate-limit storage unavailable: %s", type(exc).__name__)
            return
        if not allowed:
            raise TooManyRequests(int(reset - time.time()) + 1)


def _after_request(response):
    limiter = _limiter()
    if response.status_code == 429 and "Retry-After" not in response.headers:
        # Flask-Limiter's own headers are off: they would put Retry-After on every answer of a
        # limited route (and over a 503's); a breach says when to come back, and which limit it was.
        breached = limiter.current_limit
        if breached is not None:
            response.headers["Retry-After"] = str(max(1, int(breached.reset_at - time.time())))
            response.headers["X-RateLimit-Limit"] = str(breached.limit.amount)
    if response.status_code == 401 and limiter.enabled and request.path.startswith("/api/"):
        strategy = limiter.limiter
        try:
            for setting, key in _failure_keys():
                strategy.hit(parse(getattr(_settings(), setting)), _prefix(), key)
        except Exception as exc:
            current_app.logger.warning("rate-limit storage unavailable: %s", type(exc).__name__)
    return response


def _limit_routes(app: Flask, limiter: Limiter, endpoints: tuple[str, ...], setting: str, key_func, methods=None):
    for endpoint in endpoints:
        view = app.view_functions[endpoint]  # a KeyError here: a limited route was renamed
        app.view_functions[endpoint] = limiter.limit(_setting(setting), key_func=key_func, methods=methods)(view)


def init_app(app: Flask) -> None:
    """After the blueprints are registered, and after the before_request that authenticates (so the
    per-principal limits know the principal)."""
    settings = app.config["SETTINGS"]
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url or settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX=settings.ratelimit_key_prefix,
        RATELIMIT_STRATEGY="fixed-window",
    )
    limiter = Limiter(
        key_func=principal_key,
        headers_enabled=False,
        # Limits must not take the API down with Redis: a storage error is logged and the request goes on.
        swallow_errors=True,
        # The per-principal ceiling: shared by every route; only authenticated API requests count.
        application_limits=[_setting("limit_api")],
        application_limits_exempt_when=lambda: g.get("principal") is None or not request.path.startswith("/api/"),
    )
    limiter.init_app(app)
    app.extensions["kpi_limiter"] = limiter
    _limit_routes(app, limiter, SIGN_IN, "limit_sign_in", client_address)
    _limit_routes(app, limiter, WEBHOOK, "limit_webhook", integration_key)
    _limit_routes(app, limiter, UPLOADS, "limit_uploads", principal_key, methods=["POST"])
    _limit_routes(app, limiter, EXPORTS, "limit_exports", principal_key, methods=["GET"])
    app.after_request(_after_request)
