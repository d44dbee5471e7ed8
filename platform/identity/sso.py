"""Each province's OpenID Connect provider: its configuration and a connection test.

No Flask here. The browser sign-in and bearer-token checks build on this (issue 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

import requests

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import Invalid, NotFound
from kpi_platform.identity.models import IdentityProvider
from kpi_platform.secrets_box import secrets_box

IDENTITY_CLAIMS = ("email", "staff_code", "preferred_username", "sub")
FETCH_TIMEOUT_SECONDS = 5


def _check_issuer(issuer: str, allow_http: bool) -> str:
    issuer = (issuer or "").strip().rstrip("/")
    parsed = urlparse(issuer)
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme not in ("https", "http") or not parsed.netloc or parsed.query or parsed.fragment:
        raise Invalid("Địa chỉ issuer không hợp lệ.", "The issuer is not a valid URL.", fields={"issuer": ["invalid"]})
    if parsed.scheme == "http" and not (allow_http or loopback):
        raise Invalid("Issuer phải dùng https.", "The issuer must use https.", fields={"issuer": ["https required"]})
    return issuer


def get_provider() -> IdentityProvider:
    provider = db.session.get(IdentityProvider, require_tenant_id())
    if provider is None:
        raise NotFound("Tỉnh chưa cấu hình nhà cung cấp định danh (SSO).", "No identity provider is configured.")
    return provider


def provider_view(provider: IdentityProvider) -> dict:
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "has_client_secret": bool(provider.client_secret_encrypted),
        "scopes": provider.scopes,
        "identity_claim": provider.identity_claim,
        "audience": provider.audience,
        "enabled": provider.enabled,
        "updated_at": provider.updated_at,
    }


def configure_provider(
    *,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    scopes: str = "openid email profile",
    identity_claim: str = "email",
    audience: str | None = None,
    enabled: bool = True,
    allow_http: bool = False,
) -> IdentityProvider:
    """Create or replace the tenant's provider. Leaving client_secret out keeps the stored one."""
    tenant_id = require_tenant_id()
    if identity_claim not in IDENTITY_CLAIMS:
        raise Invalid(fields={"identity_claim": [f"one of {', '.join(IDENTITY_CLAIMS)}"]})
    if "openid" not in scopes.split():
        raise Invalid(
            "Phạm vi (scopes) phải có 'openid'.",
            "Scopes must include 'openid'.",
            fields={"scopes": ["openid required"]},
        )
    provider = db.session.get(IdentityProvider, tenant_id)
    before = provider_view(provider) if provider else None
    if provider is None:
        if not client_secret:
            raise Invalid(fields={"client_secret": ["required"]})
        provider = IdentityProvider(tenant_id=tenant_id)
        db.session.add(provider)
    provider.issuer = _check_issuer(issuer, allow_http)
    provider.client_id = client_id.strip()
    if client_secret:
        provider.client_secret_encrypted = secrets_box.encrypt(client_secret)
    provider.scopes = " ".join(scopes.split())
    provider.identity_claim = identity_claim
    provider.audience = (audience or "").strip() or None
    provider.enabled = enabled
    db.session.flush()
    after = provider_view(provider)
    audit.record(
        "identity.provider.configure",
        "identity_provider",
        tenant_id,
        before=_audit_view(before),
        after=_audit_view(after),
    )
    return provider


def _audit_view(view: dict | None) -> dict | None:
    return None if view is None else {k: v for k, v in view.items() if k != "updated_at"}


def remove_provider() -> None:
    provider = get_provider()
    before = provider_view(provider)
    db.session.delete(provider)
    db.session.flush()
    audit.record("identity.provider.remove", "identity_provider", provider.tenant_id, before=_audit_view(before))


def client_secret(provider: IdentityProvider) -> str:
    return secrets_box.decrypt(provider.client_secret_encrypted)


@dataclass
class ConnectionReport:
    ok: bool = True
    checks: list[dict] = field(default_factory=list)
    discovery: dict = field(default_factory=dict)

    def add(self, name: str, ok: bool, vi: str, en: str) -> bool:
        self.checks.append({"check": name, "ok": ok, "message_vi": vi, "message_en": en})
        self.ok = self.ok and ok
        return ok


def _fetch_json(url: str) -> tuple[dict | None, str | None]:
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}"
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return None, "not JSON"
    return (body, None) if isinstance(body, dict) else (None, "not a JSON object")


def check_connection() -> ConnectionReport:
    """Fetch the discovery document and the keys, and say in plain words what is wrong."""
    provider = get_provider()
    report = ConnectionReport()
    url = provider.issuer + "/.well-known/openid-configuration"
    document, problem = _fetch_json(url)
    if not report.add(
        "discovery",
        document is not None,
        f"Không đọc được tài liệu khám phá tại {url} ({problem})."
        if problem
        else "Đọc được tài liệu khám phá (discovery).",
        f"Cannot read the discovery document at {url} ({problem})." if problem else "The discovery document was read.",
    ):
        return report
    report.discovery = {
        k: document.get(k)
        for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint")
    }
    report.add(
        "issuer",
        document.get("issuer") == provider.issuer,
        f"Issuer khai báo ({document.get('issuer')}) phải trùng với cấu hình ({provider.issuer}).",
        f"The provider calls itself {document.get('issuer')!r}; the configuration says {provider.issuer!r}.",
    )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        report.add(key, bool(document.get(key)), f"Thiếu {key}.", f"{key} is missing.")
    report.add(
        "pkce",
        "S256" in (document.get("code_challenge_methods_supported") or []),
        "Nhà cung cấp không hỗ trợ PKCE (S256).",
        "The provider does not support PKCE with S256.",
    )
    report.add(
        "code_flow",
        "code" in (document.get("response_types_supported") or []),
        "Nhà cung cấp không hỗ trợ luồng authorization code.",
        "The provider does not support the authorization code flow.",
    )
    if document.get("jwks_uri"):
        keys, problem = _fetch_json(document["jwks_uri"])
        has_keys = bool(keys and keys.get("keys"))
        report.add(
            "jwks",
            has_keys,
            f"Không đọc được khóa ký (JWKS): {problem or 'không có khóa'}.",
            f"Cannot read the signing keys (JWKS): {problem or 'no keys'}.",
        )
    # RP-initiated logout is optional; its absence is reported but is not a failure.
    report.checks.append(
        {
            "check": "logout",
            "ok": bool(document.get("end_session_endpoint")),
            "message_vi": "Có hỗ trợ đăng xuất tại nhà cung cấp."
            if document.get("end_session_endpoint")
            else "Nhà cung cấp không hỗ trợ đăng xuất từ ứng dụng; chỉ phiên nội bộ được kết thúc.",
            "message_en": "RP-initiated logout is supported."
            if document.get("end_session_endpoint")
            else "No RP-initiated logout; only the local session will end.",
        }
    )
    return report
