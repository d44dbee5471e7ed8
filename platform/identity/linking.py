"""Who is this person? Map the claims of the tenant's identity provider to one of its principals.

Once linked, a person is found by the provider's `sub` alone. The first time, the claim the tenant
configured (email or staff code) is matched against its accounts and its roster of officials; an
official on the roster who has no account yet gets one with the role "official". Nobody else gets
an account: an unknown person is refused and the refusal is audited, so the admin can see who tried.
No Flask here: the browser sign-in and the bearer-token check both call it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from kpi_platform.audit import service as audit
from kpi_platform.context import require_tenant_id
from kpi_platform.db import db
from kpi_platform.errors import DomainError
from kpi_platform.identity import service
from kpi_platform.identity.models import IdentityProvider, Principal, PrincipalStatus
from kpi_platform.org.models import Official, OfficialStatus
from kpi_platform.roles import Role
from kpi_platform.tenancy.models import Tenant


class UnknownPerson(DomainError):
    status = 403
    code = "unknown_person"

    def __init__(self, shown_as: str | None = None, reason: str = "no_match"):
        who = f" ({shown_as})" if shown_as else ""
        super().__init__(
            f"Tài khoản đăng nhập{who} không khớp với cán bộ nào của tỉnh trên hệ thống KPI.",
            f"The signed-in identity{who} does not match any official of this province.",
        )
        self.shown_as = shown_as
        self.reason = reason


class IdentityConflict(DomainError):
    status = 403
    code = "identity_conflict"

    def __init__(self):
        super().__init__(
            "Cán bộ này đã được liên kết với một tài khoản đăng nhập khác. Hãy liên hệ quản trị viên của tỉnh.",
            "This official is already linked to another sign-in identity. Contact the province's administrator.",
        )


class AccountDisabled(DomainError):
    status = 403
    code = "account_disabled"


def _claim_text(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _principal_of(official: Official, claims: dict) -> Principal:
    """The official's account, created on first sign-in when the roster has none yet."""
    if official.principal_id is not None:
        return service.get_principal(official.principal_id)
    tenant_slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == require_tenant_id()))
    email = _claim_text(claims, "email") or official.email
    if not email or service.find_principal_by_email(email) is not None:
        # Principal.email is required and unique; an official without a usable one gets an address
        # under the reserved .invalid domain that can never receive mail.
        email = f"{official.staff_code.lower()}@staff.{tenant_slug}.invalid"
    principal = service.create_principal(email=email, display_name=official.full_name, roles=[Role.official])
    official.principal_id = principal.id
    return principal


def _match_by_claim(provider: IdentityProvider, claims: dict) -> Principal | None:
    value = _claim_text(claims, provider.identity_claim)
    if value is None:
        return None
    if provider.identity_claim == "email":
        if claims.get("email_verified") is False:
            return None
        email = value.lower()
        principal = db.session.scalar(select(Principal).where(Principal.email == email))
        if principal is not None:
            return principal
        official = db.session.scalar(
            select(Official).where(func.lower(Official.email) == email, Official.status != OfficialStatus.left)
        )
    else:  # staff_code, preferred_username, or sub: the provider names the person by staff code
        official = db.session.scalar(
            select(Official).where(Official.staff_code == value, Official.status != OfficialStatus.left)
        )
    return _principal_of(official, claims) if official is not None else None


def principal_for_claims(provider: IdentityProvider, claims: dict, *, channel: str) -> Principal:
    """The active principal these (already verified) claims identify in the current tenant."""
    sub = _claim_text(claims, "sub")
    shown_as = _claim_text(claims, "email") or _claim_text(claims, provider.identity_claim) or sub
    if sub is None:
        raise UnknownPerson(shown_as, reason="no_sub")
    principal = db.session.scalar(select(Principal).where(Principal.oidc_subject == sub))
    if principal is None:
        principal = _match_by_claim(provider, claims)
        if principal is None:
            audit.record(
                "identity.sign_in_refused",
                "identity_provider",
                provider.tenant_id,
                after={"sub": sub, "shown_as": shown_as, "claim": provider.identity_claim, "channel": channel},
            )
            db.session.commit()  # the refusal is kept even though the request fails
            raise UnknownPerson(shown_as)
        if principal.oidc_subject not in (None, sub):
            raise IdentityConflict()
        principal.oidc_subject = sub
        audit.record(
            "identity.link",
            "principal",
            principal.id,
            after={"sub": sub, "claim": provider.identity_claim, "value": _claim_text(claims, provider.identity_claim)},
        )
        db.session.commit()  # the link holds even if the request that made it only reads
    if principal.status != PrincipalStatus.active:
        raise AccountDisabled()
    return principal


def unlink(principal_id: uuid.UUID) -> Principal:
    """Forget the provider identity of an account (the person re-links at the next sign-in)."""
    principal = service.get_principal(principal_id)
    before = principal.oidc_subject
    principal.oidc_subject = None
    audit.record("identity.unlink", "principal", principal.id, before={"sub": before})
    return principal
