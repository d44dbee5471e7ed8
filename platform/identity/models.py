from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpi_platform.db import Base, TenantScoped, utcnow


class PrincipalStatus(enum.StrEnum):
    active = "active"
    disabled = "disabled"


class Principal(TenantScoped, Base):
    """A user account. It belongs to exactly one tenant; global accounts (platform operators,
    central analysts) belong to the reserved system tenant."""

    __tablename__ = "principals"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), UniqueConstraint("tenant_id", "oidc_subject"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    # The `sub` of this person at the tenant's identity provider, linked at the first sign-in.
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[PrincipalStatus] = mapped_column(
        Enum(PrincipalStatus, name="principal_status", native_enum=False, length=20),
        default=PrincipalStatus.active,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    role_rows: Mapped[list[PrincipalRole]] = relationship(
        back_populates="principal", cascade="all, delete-orphan", lazy="selectin", order_by="PrincipalRole.role"
    )

    @property
    def sso_linked(self) -> bool:
        return self.oidc_subject is not None

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    def has_any_role(self, roles) -> bool:
        return any(row.role in roles for row in self.role_rows)

    def as_audit(self) -> dict:
        return {
            "email": self.email,
            "display_name": self.display_name,
            "status": str(self.status),
            "roles": sorted(self.roles),
        }


class PrincipalRole(TenantScoped, Base):
    __tablename__ = "principal_roles"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "principal_id"], ["principals.tenant_id", "principals.id"], ondelete="CASCADE"
        ),
    )

    principal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)

    principal: Mapped[Principal] = relationship(back_populates="role_rows")


class ApiToken(TenantScoped, Base):
    """A platform-issued bearer token. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "principal_id"], ["principals.tenant_id", "principals.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_api_tokens_tenant_id_principal_id", "tenant_id", "principal_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    principal: Mapped[Principal] = relationship(lazy="joined")


class IdentityProvider(TenantScoped, Base):
    """The tenant's OpenID Connect provider (one per tenant). The client secret is stored encrypted."""

    __tablename__ = "identity_providers"

    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(300), default="openid email profile")
    identity_claim: Mapped[str] = mapped_column(String(60), default="email")
    audience: Mapped[str | None] = mapped_column(String(200))  # expected `aud` of API access tokens
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LoginSession(TenantScoped, Base):
    """A signed-in browser. The cookie carries a random secret; only its SHA-256 is stored, so
    ending a row here ends the session wherever the cookie went."""

    __tablename__ = "login_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "principal_id"], ["principals.tenant_id", "principals.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("tenant_id", "secret_hash"),
        Index("ix_login_sessions_principal", "tenant_id", "principal_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID]
    secret_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))  # "sso" or "dev" (demo only)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # the absolute limit; the idle limit counts from last_seen_at
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(30))
    id_token_encrypted: Mapped[str | None] = mapped_column(Text)  # the hint for the provider's logout
    user_agent: Mapped[str | None] = mapped_column(String(300))

    principal: Mapped[Principal] = relationship(lazy="joined")
