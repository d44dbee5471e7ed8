"""Identity providers: each tenant's OpenID Connect provider, client secret encrypted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:15:46.958264
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kpi_platform.tenancy import rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("identity_claim", sa.String(length=60), nullable=False),
        sa.Column("audience", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_identity_providers_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_identity_providers")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.tenant_table_rls("identity_providers"):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("identity_providers")
