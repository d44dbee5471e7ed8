"""Principals, roles and platform-issued API tokens. No Flask here: API, CLI, tasks and tests call it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import contains, db, utcnow
from kpi_platform.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from kpi_platform.identity.models import ApiToken, Principal, PrincipalRole, PrincipalStatus
from kpi_platform.roles import GLOBAL_ROLES, TENANT_ROLES, Role
from kpi_platform.tenancy.models import Tenant, TenantKind

TOKEN_PREFIX = "kpi"  # noqa: S105 - a public prefix, not a secret
PRINCIPAL_FIELDS = ("display_name", "status", "roles")


class InvalidToken(DomainError):
    status = 401
    code = "invalid_token"


# ---------------------------------------------------------------- principals


def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254:
        raise Invalid("Email không hợp lệ.", "The email address is not valid.", fields={"email": ["invalid"]})
    return email


def _check_roles(roles, tenant_kind: TenantKind) -> list[str]:
    allowed = GLOBAL_ROLES if tenant_kind == TenantKind.system else TENANT_ROLES
    unknown = [r for r in roles if r not in {str(role) for role in allowed}]
    if unknown:
        raise Invalid(
            "Vai trò không hợp lệ cho loại tài khoản này: " + ", ".join(unknown),
            "Roles not valid for this kind of account: " + ", ".join(unknown),
            fields={"roles": unknown},
        )
    return sorted(set(roles))


def _tenant_kind(session: Session, tenant_id: uuid.UUID) -> TenantKind:
    kind = session.scalar(select(Tenant.kind).where(Tenant.id == tenant_id))
    if kind is None:
        raise NotFound()
    return kind


def create_principal(
    *,
    email: str,
    display_name: str,
    roles: list[str],
    tenant: Tenant | None = None,
    session: Session | None = None,
) -> Principal:
    """Create an account in the current tenant (or, through the door's session, in `tenant`)."""
    session = session or db.session
    tenant_id = tenant.id if tenant else require_tenant_id()
    email = _normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid(fields={"display_name": ["required"]})
    roles = _check_roles(roles, tenant.kind if tenant else _tenant_kind(session, tenant_id))
    exists = session.scalar(select(Principal.id).where(Principal.tenant_id == tenant_id, Principal.email == email))
    if exists:
        raise Conflict(f"Email {email} đã được dùng.", f"{email} is already in use.", fields={"email": ["taken"]})
    principal = Principal(id=uuid.uuid4(), tenant_id=tenant_id, email=email, display_name=display_name)
    principal.role_rows = [PrincipalRole(tenant_id=tenant_id, role=role) for role in roles]
    session.add(principal)
    session.flush()
    audit.record(
        "principal.create", "principal", principal.id, after=principal.as_audit(), tenant_id=tenant_id, session=session
    )
    return principal


def create_principal_in(session: Session, tenant: Tenant, **kwargs) -> Principal:
    return create_principal(tenant=tenant, session=session, **kwargs)


def get_principal(principal_id: uuid.UUID) -> Principal:
    principal = db.session.get(Principal, (require_tenant_id(), principal_id))
    if principal is None:
        raise NotFound()
    return principal


def find_principal_by_email(email: str) -> Principal | None:
    return db.session.scalar(select(Principal).where(Principal.email == _normalise_email(email)))


def list_principals(*, q: str | None = None, role: str | None = None, status: str | None = None):
    stmt = select(Principal)
    if q:
        stmt = stmt.where(or_(contains(Principal.email, q.strip()), contains(Principal.display_name, q.strip())))
    if role:
        stmt = stmt.where(Principal.id.in_(select(PrincipalRole.principal_id).where(PrincipalRole.role == role)))
    if status:
        stmt = stmt.where(Principal.status == status)
    return stmt.order_by(Principal.email)


def update_principal(principal_id: uuid.UUID, changes: dict) -> Principal:
    unknown = set(changes) - set(PRINCIPAL_FIELDS)
    if unknown:
        raise Invalid(fields={name: ["unknown field"] for name in sorted(unknown)})
    principal = get_principal(principal_id)
    before = principal.as_audit()
    if "display_name" in changes:
        name = (changes["display_name"] or "").strip()
        if not name:
            raise Invalid(fields={"display_name": ["required"]})
        principal.display_name = name
    if "status" in changes:
        principal.status = PrincipalStatus(changes["status"])
    if "roles" in changes:
        roles = _check_roles(changes["roles"], _tenant_kind(db.session, principal.tenant_id))
        current = {row.role: row for row in principal.role_rows}
        principal.role_rows = [current.get(role) or PrincipalRole(role=role) for role in roles]
    db.session.flush()
    audit.record("principal.update", "principal", principal.id, before=before, after=principal.as_audit())
    return principal


# ---------------------------------------------------------------- tokens


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough (no slow KDF needed).
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_token_tenant(raw: str) -> uuid.UUID:
    """Tokens look like kpi_<tenant id hex>_<secret>: the tenant is known before any lookup, so
    the lookup itself runs under that tenant's row-level security."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 32 or len(parts[2]) < 32:
        raise InvalidToken()
    try:
        return uuid.UUID(hex=parts[1])
    except ValueError:
        raise InvalidToken() from None


def issue_token(principal: Principal, *, name: str, days: int, max_days: int) -> tuple[ApiToken, str]:
    """Return the stored token row and the secret string, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise Invalid(fields={"name": ["required"]})
    if not 1 <= days <= max_days:
        raise Invalid(
            f"Thời hạn phải từ 1 đến {max_days} ngày.",
            f"The lifetime must be between 1 and {max_days} days.",
            fields={"expires_in_days": [f"1..{max_days}"]},
        )
    raw = f"{TOKEN_PREFIX}_{principal.tenant_id.hex}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        principal_id=principal.id,
        name=name,
        token_hash=hash_token(raw),
        display_prefix=raw.split("_", 2)[2][:6],
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.issue",
        "api_token",
        token.id,
        after={"name": name, "principal_id": str(principal.id), "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


def authenticate_token(raw: str) -> ApiToken:
    """Find an active token in the current tenant. Anything wrong is the same 401."""
    tenant_id = require_tenant_id()
    if parse_token_tenant(raw) != tenant_id:
        raise InvalidToken()
    digest = hash_token(raw)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise InvalidToken()
    now = utcnow()
    if token.revoked_at is not None or token.expires_at <= now:
        raise InvalidToken()
    if token.principal.status != PrincipalStatus.active:
        raise Forbidden(code="account_disabled")
    return token


def mark_token_used(token: ApiToken) -> None:
    token.last_used_at = utcnow()


def list_tokens(principal_id: uuid.UUID):
    return (
        select(ApiToken).where(ApiToken.principal_id == principal_id).order_by(ApiToken.created_at.desc(), ApiToken.id)
    )


def get_token(token_id: uuid.UUID) -> ApiToken:
    token = db.session.get(ApiToken, (require_tenant_id(), token_id))
    if token is None:
        raise NotFound()
    return token


def revoke_token(token_id: uuid.UUID, *, by: Principal) -> ApiToken:
    """A principal revokes its own tokens; a provincial admin (or operator) any in the tenant."""
    token = get_token(token_id)
    if token.principal_id != by.id and not by.has_any_role({Role.provincial_admin, Role.platform_operator}):
        raise NotFound()  # someone else's token: same answer as a missing one
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record("token.revoke", "api_token", token.id, after={"principal_id": str(token.principal_id)})
    return token


def purge_expired_tokens(*, older_than_days: int = 90) -> int:
    """Delete tokens of the current tenant that expired or were revoked long ago. One statement."""
    require_tenant_id()
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        delete(ApiToken)
        .where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        audit.record(
            "token.purge", "api_token", None, after={"deleted": result.rowcount, "older_than_days": older_than_days}
        )
    return result.rowcount
