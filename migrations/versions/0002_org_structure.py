"""Org structure: unit kinds, effective-dated org units, job positions, officials, assignments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:47:16.112471
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = ("job_positions", "org_unit_kinds", "officials", "org_units", "org_unit_versions", "assignments")


def upgrade() -> None:
    op.create_table(
        "job_positions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column(
            "category",
            sa.Enum("leadership", "professional", "support", name="position_category", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "unit_kinds", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("job_description_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_job_positions_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_job_positions")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_job_positions_tenant_id_code")),
    )
    op.create_table(
        "org_unit_kinds",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_org_unit_kinds_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "code", name=op.f("pk_org_unit_kinds")),
    )
    op.create_table(
        "officials",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_code", sa.String(length=60), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("sort_key", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "employment_kind",
            sa.Enum(
                "can_bo", "cong_chuc", "vien_chuc", "contract", name="employment_kind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "on_leave", "left", name="official_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("principal_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "principal_id"],
            ["principals.tenant_id", "principals.id"],
            name=op.f("fk_officials_tenant_id_principal_id_principals"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reviewer_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_officials_tenant_id_reviewer_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_officials_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_officials")),
        sa.UniqueConstraint("tenant_id", "staff_code", name=op.f("uq_officials_tenant_id_staff_code")),
    )
    op.create_index("ix_officials_sort", "officials", ["tenant_id", "sort_key", "staff_code"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_officials_search_trgm",
            "officials",
            ["search_name"],
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_officials_search_trgm", "officials", ["search_name"])
    op.create_table(
        "org_units",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("head_official_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "head_official_id"],
            ["officials.tenant_id", "officials.id"],
            name="fk_org_units_head_official",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_org_units_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_org_units_tenant_id_code")),
    )
    op.create_table(
        "org_unit_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_org_unit_versions_period")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_org_unit_versions_tenant_id_parent_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_org_unit_versions_tenant_id_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_org_unit_versions_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_org_unit_versions")),
    )
    op.create_index(
        "ix_org_unit_versions_parent", "org_unit_versions", ["tenant_id", "parent_id", "valid_from"], unique=False
    )
    op.create_index(
        "ix_org_unit_versions_unit", "org_unit_versions", ["tenant_id", "unit_id", "valid_from"], unique=False
    )
    op.create_table(
        "assignments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("share", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("share > 0 AND share <= 1", name=op.f("ck_assignments_share")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_assignments_period")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_assignments_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "position_id"],
            ["job_positions.tenant_id", "job_positions.id"],
            name=op.f("fk_assignments_tenant_id_position_id_job_positions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_assignments_tenant_id_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_assignments_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_assignments")),
    )
    op.create_index("ix_assignments_official", "assignments", ["tenant_id", "official_id", "valid_from"], unique=False)
    op.create_index("ix_assignments_unit", "assignments", ["tenant_id", "unit_id", "valid_from"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_assignments_unit", table_name="assignments")
    op.drop_index("ix_assignments_official", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("ix_org_unit_versions_unit", table_name="org_unit_versions")
    op.drop_index("ix_org_unit_versions_parent", table_name="org_unit_versions")
    op.drop_table("org_unit_versions")
    op.drop_index("ix_officials_sort", table_name="officials")
    op.drop_index("ix_officials_search_trgm", table_name="officials")
    op.drop_table("officials")
    op.drop_table("org_units")
    op.drop_table("org_unit_kinds")
    op.drop_table("job_positions")
