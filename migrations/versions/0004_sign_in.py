"""Sign-in: principals linked to their provider's `sub`, and server-side browser sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kpi_platform.tenancy import rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("principals") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.create_unique_constraint("uq_principals_tenant_id_oidc_subject", ["tenant_id", "oidc_subject"])

    op.create_table(
        "login_sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("id_token_encrypted", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_login_sessions_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "principal_id"],
            ["principals.tenant_id", "principals.id"],
            name=op.f("fk_login_sessions_tenant_id_principals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("tenant_id", "secret_hash", name=op.f("uq_login_sessions_tenant_id_secret_hash")),
    )
    op.create_index("ix_login_sessions_principal", "login_sessions", ["tenant_id", "principal_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.tenant_table_rls("login_sessions"):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("login_sessions")
    with op.batch_alter_table("principals") as batch:
        batch.drop_constraint("uq_principals_tenant_id_oidc_subject", type_="unique")
        batch.drop_column("oidc_subject")
