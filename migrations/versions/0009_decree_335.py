"""Decree 335: assigned products, leaders' unity marks, the method and details of each result.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 17:33:46.817515
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_marks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unity", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("marked_by", sa.Uuid(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_leader_marks_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_leader_marks_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "official_id", "month", name=op.f("pk_leader_marks")),
    )
    op.create_table(
        "assigned_products",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("assigned", "plan", "unplanned", name="product_source", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("proposed", "assigned", "cancelled", name="product_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("quality_failures", sa.Integer(), nullable=False),
        sa.Column("delays", sa.Integer(), nullable=False),
        sa.Column("objective_failures", sa.Integer(), nullable=False),
        sa.Column(
            "assessments", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_assigned_products_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["catalog_items.tenant_id", "catalog_items.id"],
            name=op.f("fk_assigned_products_tenant_id_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_assigned_products_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_assigned_products_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_assigned_products")),
    )
    op.create_index(
        "ix_assigned_products_month", "assigned_products", ["tenant_id", "month", "official_id"], unique=False
    )
    with op.batch_alter_table("period_results") as batch:
        batch.add_column(sa.Column("method", sa.String(length=20), nullable=False, server_default="hours"))
        batch.add_column(
            sa.Column(
                "details",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("period_results") as batch:
        batch.alter_column("method", server_default=None)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("leader_marks", "assigned_products"):
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("period_results") as batch:
        batch.drop_column("details")
        batch.drop_column("method")
    op.drop_index("ix_assigned_products_month", table_name="assigned_products")
    op.drop_table("assigned_products")
    op.drop_table("leader_marks")
