"""Each province's OpenID Connect provider: its configuration and a connection test.

No Flask here. The browser sign-in and bearer-token checks build on this (issue 4).
"""

from __future__ import annotations

import ipaddress
import socket
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


@dataclass(frozen=True)
class IssuerPolicy:
    """Which issuer addresses a deployment accepts. The server fetches whatever the issuer names, so in
    production an admin must not be able to point it at the machine itself or at cloud metadata."""

    allow_http: bool = False
    public_only: bool = True
    allow_private: bool = False

    @classmethod
    def for_settings(cls, settings) -> IssuerPolicy:
        production = settings.env == "production"
        return cls(allow_http=not production, public_only=production, allow_private=settings.sso_allow_private_issuers)


DEVELOPMENT = IssuerPolicy(allow_http=True, public_only=False)


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []  # not resolvable yet: "test connection" will say so
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _refuse_internal(host: str, policy: IssuerPolicy) -> None:
    for address in _addresses(host):
        special = (
            address.is_loopback
            or address.is_link_local
            or address.is_unspecified
            or address.is_multicast
            or address.is_reserved
        )
        if special or (address.is_private and not policy.allow_private):
            raise Invalid(
                f"Issuer trỏ tới địa chỉ nội bộ ({address}); hệ thống không kết nối tới địa chỉ này.",
                f"The issuer points at an internal address ({address}); the platform will not connect to it.",
                fields={"issuer": ["internal address"]},
                code="issuer_internal_address",
            )


def _check_issuer(issuer: str, policy: IssuerPolicy) -> str:
    issuer = (issuer or "").strip().rstrip("/")
    parsed = urlparse(issuer)
    if parsed.scheme not in ("https", "http") or not parsed.hostname or parsed.query or parsed.fragment:
        raise Invalid("Địa chỉ issuer không hợp lệ.", "The issuer is not a valid URL.", fields={"issuer": ["invalid"]})
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme == "http" and not (policy.allow_http or (loopback and not policy.public_only)):
        raise Invalid("Issuer phải dùng https.", "The issuer must use https.", fields={"issuer": ["https required"]})
    if policy.public_only:
        _refuse_internal(parsed.hostname, policy)
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
    policy: IssuerPolicy = DEVELOPMENT,
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
    provider.issuer = _check_issuer(issuer, policy)
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
