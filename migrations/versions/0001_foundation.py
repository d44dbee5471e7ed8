"""Foundation: tenants, principals, roles, API tokens, audit log; RLS and grants on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SYSTEM_TENANT_ID = "00000000-0000-0000-0000-000000000001"
TENANT_TABLES = ("principals", "principal_roles", "api_tokens", "audit_log")

json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants")


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute(rls.require_roles_sql())

    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name_vi", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("province", "ministry", "system", name="tenant_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("provisioning", "pilot", "active", "suspended", name="tenant_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )

    op.create_table(
        "principals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "disabled", name="principal_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_principals"),
        _tenant_fk("principals"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_principals_tenant_id_email"),
    )

    op.create_table(
        "principal_roles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "principal_id", "role", name="pk_principal_roles"),
        _tenant_fk("principal_roles"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "principal_id"],
            ["principals.tenant_id", "principals.id"],
            name="fk_principal_roles_tenant_id_principal_id_principals",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "api_tokens",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("display_prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_api_tokens"),
        _tenant_fk("api_tokens"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "principal_id"],
            ["principals.tenant_id", "principals.id"],
            name="fk_api_tokens_tenant_id_principal_id_principals",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_api_tokens_tenant_id_token_hash"),
    )
    op.create_index("ix_api_tokens_tenant_id_principal_id", "api_tokens", ["tenant_id", "principal_id"])

    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(254), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(60), nullable=False),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("before", json_type, nullable=True),
        sa.Column("after", json_type, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_log"),
        _tenant_fk("audit_log"),
    )
    op.create_index("ix_audit_log_tenant_id_occurred_at", "audit_log", ["tenant_id", "occurred_at"])

    tenants = sa.table(
        "tenants",
        sa.column("id", sa.Uuid()),
        sa.column("slug", sa.String()),
        sa.column("name_vi", sa.String()),
        sa.column("name_en", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("status", sa.String()),
        sa.column("time_zone", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        tenants,
        [
            {
                "id": uuid.UUID(SYSTEM_TENANT_ID),
                "slug": "platform",
                "name_vi": "Nền tảng (hệ thống)",
                "name_en": "Platform (system)",
                "kind": "system",
                "status": "active",
                "time_zone": "Asia/Ho_Chi_Minh",
                "created_at": now,
                "updated_at": now,
            }
        ],
    )

    if postgres:
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)
        for statement in rls.grants_sql():
            op.execute(statement)
        app_role, cross_role = rls.db_roles()
        # The registry is read by everyone; only the door writes it.
        op.execute(f'REVOKE INSERT, UPDATE, DELETE ON tenants FROM "{app_role}"')
        # The audit log is append-only for the app, and a trigger refuses changes even by the owner.
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM "{app_role}", "{cross_role}"')
        op.execute("""
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
""")
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_is_append_only()")
    for table in ("audit_log", "api_tokens", "principal_roles", "principals", "tenants"):
        op.drop_table(table)
