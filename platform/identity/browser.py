"""Signing in with a browser through the tenant's own OpenID Connect provider (Authlib).

    /t/<tenant>/login            the tenant's login page
    /t/<tenant>/login/sso        → the provider (authorization code + PKCE, state and nonce)
    /t/<tenant>/auth/callback    ← the provider; the person is matched, a session starts
    /t/<tenant>/logout           POST; ends the session here and, if it can, at the provider
    /t/<tenant>/dev-login        demo and development only: pick a seeded account

Authlib keeps the state, nonce and PKCE verifier in the signed session cookie under a key named
after the tenant, so a callback at another tenant finds no state and is refused.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.flask_client.integration import FlaskIntegration
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from requests import RequestException
from sqlalchemy import select

from kpi_platform.db import db
from kpi_platform.errors import DomainError, NotFound
from kpi_platform.identity import linking, sessions, sso
from kpi_platform.identity.models import IdentityProvider, Principal, PrincipalRole, PrincipalStatus
from kpi_platform.policy import TenantSuspended, tenant_entry
from kpi_platform.roles import Role
from kpi_platform.vietnamese import sort_key

bp = Blueprint("signin", __name__, url_prefix="/t/<tenant>")

METADATA_TTL_SECONDS = 3600
_metadata_cache: dict[tuple[uuid.UUID, str], dict] = {}
_metadata_lock = threading.Lock()


class SignInFailed(DomainError):
    status = 400
    code = "sign_in_failed"


class SsoNotConfigured(DomainError):
    status = 404
    code = "sso_not_configured"

    def __init__(self):
        super().__init__(
            "Tỉnh này chưa cấu hình đăng nhập một lần (SSO). Hãy liên hệ quản trị viên của tỉnh.",
            "Single sign-on is not configured for this province. Contact the province's administrator.",
        )


# ---------------------------------------------------------------- the browser's sessions


def timeouts() -> sessions.Timeouts:
    settings = current_app.config["SETTINGS"]
    return sessions.Timeouts(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def _logins() -> dict:
    logins = session.get("logins")
    return logins if isinstance(logins, dict) else {}


def principal_from_cookie(tenant) -> Principal | None:
    """The principal signed in at `tenant` in this browser (tenant context already set)."""
    secret = _logins().get(tenant.id.hex)
    if not isinstance(secret, str):
        return None
    row = sessions.find(secret, timeouts())
    if db.session.dirty:
        db.session.commit()  # the touch, or the time-out that ended it
    if row is None:
        _forget(tenant)
        return None
    g.login_session = row
    return row.principal


def _forget(tenant) -> None:
    logins = _logins()
    if tenant.id.hex in logins:
        session["logins"] = {k: v for k, v in logins.items() if k != tenant.id.hex}


def _begin_session(tenant, principal: Principal, *, method: str, id_token: str | None) -> None:
    """Start a session and rotate the cookie: pre-login data (state, CSRF token) is dropped, and a
    session this browser had at the tenant before is ended."""
    old = _logins().get(tenant.id.hex)
    if isinstance(old, str):
        previous = sessions.find(old, timeouts())
        if previous is not None:
            sessions.end(previous, "replaced")
    _, secret = sessions.start(
        principal, method=method, timeouts=timeouts(), id_token=id_token, user_agent=request.user_agent.string
    )
    db.session.commit()
    others = {k: v for k, v in _logins().items() if k != tenant.id.hex}
    language = session.get("lang")
    session.clear()
    session["logins"] = {**others, tenant.id.hex: secret}
    if language:
        session["lang"] = language


def _safe_next(tenant, target: str | None) -> str:
    """Only a path inside this tenant's pages; anything else goes to the tenant's home, which sends
    each person to their work page (reviewers to the queue, officials to their day …)."""
    prefix = "/benchmarking/" if tenant.is_system else f"/t/{tenant.slug}/"  # global accounts' pages
    if target and target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    if tenant.is_system:
        return url_for("web.benchmarking_overview")
    return url_for("web.tenant_home", tenant=tenant.slug)


# ---------------------------------------------------------------- the tenant's OIDC client


def _cached_metadata(provider: IdentityProvider) -> dict:
    key = (provider.tenant_id, provider.issuer)
    with _metadata_lock:
        cached = _metadata_cache.get(key)
        if cached and time.time() - cached.get("_loaded_at", 0) < METADATA_TTL_SECONDS:
            return dict(cached)
    return {}


def _remember_metadata(provider: IdentityProvider, client: FlaskOAuth2App) -> None:
    if "_loaded_at" in client.server_metadata:
        with _metadata_lock:
            _metadata_cache[(provider.tenant_id, provider.issuer)] = dict(client.server_metadata)


def oauth_client(tenant, provider: IdentityProvider) -> FlaskOAuth2App:
    """An Authlib client for this tenant's provider, reusing its discovery document and keys."""
    name = f"kpi-{tenant.id.hex}"
    return FlaskOAuth2App(
        FlaskIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=sso.client_secret(provider),
        server_metadata_url=provider.issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256", "timeout": 10},
        **_cached_metadata(provider),
    )


def _enabled_provider() -> IdentityProvider | None:
    provider = db.session.get(IdentityProvider, g.tenant.id)
    return provider if provider is not None and provider.enabled else None


def _refused(reason_vi: str, reason_en: str, detail: str) -> SignInFailed:
    current_app.logger.info("sign-in refused at %s: %s", g.tenant.slug, detail)
    return SignInFailed(reason_vi, reason_en)


# ---------------------------------------------------------------- pages


def _demo_mode() -> bool:
    return current_app.config["SETTINGS"].is_demo


@bp.get("/login")
@tenant_entry
def login():
    tenant = g.tenant
    if principal_from_cookie(tenant) is not None:
        return redirect(_safe_next(tenant, request.args.get("next")))
    return render_template(
        "identity/login.html",
        tenant=tenant,
        provider=_enabled_provider(),
        next=request.args.get("next", ""),
        notice=request.args.get("notice"),
        demo=_demo_mode(),
    )


@bp.get("/login/sso")
@tenant_entry
def start_sso():
    tenant = g.tenant
    if tenant.is_suspended:
        raise TenantSuspended()
    provider = _enabled_provider()
    if provider is None:
        raise SsoNotConfigured()
    client = oauth_client(tenant, provider)
    session["next"] = _safe_next(tenant, request.args.get("next"))
    try:
        response = client.authorize_redirect(url_for("signin.callback", tenant=tenant.slug, _external=True))
    except (RequestException, RuntimeError, ValueError) as exc:
        raise _refused(
            "Không kết nối được với hệ thống đăng nhập của tỉnh. Hãy thử lại sau.",
            "The province's sign-in service cannot be reached. Try again later.",
            repr(exc),
        ) from None
    _remember_metadata(provider, client)
    return response


@bp.get("/auth/callback")
@tenant_entry
def callback():
    tenant = g.tenant
    provider = _enabled_provider()
    if provider is None:
        raise SsoNotConfigured()
    client = oauth_client(tenant, provider)
    try:
        token = client.authorize_access_token()
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise _refused(
                "Bạn đã hủy đăng nhập hoặc hệ thống đăng nhập của tỉnh từ chối.",
                "Sign-in was cancelled or refused by the province's sign-in service.",
                f"{exc.error}: {exc.description}",
            ) from None
        raise _refused(
            "Phiên đăng nhập không hợp lệ hoặc đã được dùng. Hãy đăng nhập lại từ đầu.",
            "This sign-in attempt is not valid or was already used. Please start again.",
            f"{exc.error}: {exc.description}",
        ) from None
    except Exception as exc:  # an ID token that fails its checks, a provider that is down, bad JSON …
        raise _refused(
            "Không xác minh được thông tin đăng nhập từ hệ thống của tỉnh. Hãy thử lại.",
            "The sign-in could not be verified with the province's provider. Please try again.",
            repr(exc),
        ) from None
    _remember_metadata(provider, client)
    claims = dict(token.get("userinfo") or {})
    if provider.identity_claim not in claims and client.server_metadata.get("userinfo_endpoint"):
        extra = dict(client.userinfo(token=token))
        if extra.get("sub") == claims.get("sub"):
            claims = {**extra, **claims}
    try:
        principal = linking.principal_for_claims(provider, claims, channel="browser")
    except linking.UnknownPerson as exc:
        return _unknown_person(tenant, exc)
    next_page = session.pop("next", None)
    _begin_session(tenant, principal, method="sso", id_token=token.get("id_token"))
    return redirect(_safe_next(tenant, next_page))


def _unknown_person(tenant, error: linking.UnknownPerson):
    admins = db.session.scalars(
        select(Principal).where(
            Principal.status == PrincipalStatus.active,
            Principal.role_rows.any(PrincipalRole.role == str(Role.provincial_admin)),
        )
    ).all()
    admins = sorted(admins, key=lambda p: sort_key(p.display_name))[:3]
    page = render_template("identity/unknown_person.html", tenant=tenant, shown_as=error.shown_as, admins=admins)
    return page, 403


@bp.post("/logout")
@tenant_entry
def logout():
    tenant = g.tenant
    secret = _logins().get(tenant.id.hex)
    row = sessions.find(secret, timeouts()) if isinstance(secret, str) else None
    id_token = sessions.end(row) if row is not None else None
    db.session.commit()
    _forget(tenant)
    after = url_for("signin.login", tenant=tenant.slug, notice="signed_out", _external=True)
    provider = _enabled_provider()
    if id_token and provider is not None:
        client = oauth_client(tenant, provider)
        try:
            if client.load_server_metadata().get("end_session_endpoint"):
                return client.logout_redirect(post_logout_redirect_uri=after, id_token_hint=id_token)
        except (RequestException, RuntimeError, ValueError) as exc:
            current_app.logger.warning("provider logout unavailable for %s: %r", tenant.slug, exc)
    return redirect(after)


@bp.route("/dev-login", methods=["GET", "POST"])
@tenant_entry
def dev_login():
    """Demo and development only: sign in as any seeded account of the tenant, no password."""
    if not _demo_mode():
        raise NotFound()
    tenant = g.tenant
    if request.method == "POST":
        try:
            principal_id = uuid.UUID(request.form.get("principal_id", ""))
        except ValueError:
            raise NotFound() from None
        principal = db.session.get(Principal, (tenant.id, principal_id))
        if principal is None or principal.status != PrincipalStatus.active:
            raise NotFound()
        _begin_session(tenant, principal, method="dev", id_token=None)
        return redirect(_safe_next(tenant, request.form.get("next")))
    accounts = db.session.scalars(select(Principal).where(Principal.status == PrincipalStatus.active)).all()
    accounts = sorted(accounts, key=lambda p: sort_key(p.display_name))
    next_page = request.args.get("next", "")
    return render_template("identity/dev_login.html", tenant=tenant, accounts=accounts, next=next_page)
