"""Catalog: complexity table, items with versioned norms, job descriptions; the work entry table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:53:42.545471
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kpi_platform.tenancy import rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "complexity_levels",
    "catalog_items",
    "catalog_item_versions",
    "job_descriptions",
    "job_description_versions",
    "job_description_lines",
    "work_entries",
)


def upgrade() -> None:
    op.create_table(
        "complexity_levels",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("coefficient", sa.Numeric(precision=5, scale=3), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.CheckConstraint("coefficient > 0", name=op.f("ck_complexity_levels_coefficient_positive")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_complexity_levels_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "code", name=op.f("pk_complexity_levels")),
    )
    op.create_table(
        "catalog_items",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column(
            "item_group",
            sa.Enum("A", "B", "C", "D", name="catalog_group", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "approved",
                "retired",
                name="catalog_item_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name_vi", sa.String(length=500), nullable=False),
        sa.Column("field", sa.String(length=120), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("retire_reason", sa.String(length=500), nullable=True),
        sa.Column("origin", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(item_group = 'C') = (agency_id IS NOT NULL)", name=op.f("ck_catalog_items_agency_for_group_c")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agency_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_catalog_items_tenant_id_agency_id_org_units"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_catalog_items_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_catalog_items_tenant_id_code")),
    )
    op.create_index("ix_catalog_items_filter", "catalog_items", ["tenant_id", "item_group", "status"], unique=False)
    op.create_index(
        "ix_catalog_items_search_trgm",
        "catalog_items",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_table(
        "job_descriptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("origin", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agency_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_job_descriptions_tenant_id_agency_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "position_id"],
            ["job_positions.tenant_id", "job_positions.id"],
            name=op.f("fk_job_descriptions_tenant_id_position_id_job_positions"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_job_descriptions_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_job_descriptions")),
        sa.UniqueConstraint(
            "tenant_id", "position_id", "agency_id", name=op.f("uq_job_descriptions_tenant_id_position_id_agency_id")
        ),
    )
    op.create_index(
        "uq_job_descriptions_tenant_wide",
        "job_descriptions",
        ["tenant_id", "position_id"],
        unique=True,
        postgresql_where=sa.text("agency_id IS NULL"),
        sqlite_where=sa.text("agency_id IS NULL"),
    )
    op.create_table(
        "catalog_item_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft", "submitted", "returned", "approved", name="catalog_version_state", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("name_vi", sa.String(length=500), nullable=False),
        sa.Column("name_en", sa.String(length=500), nullable=True),
        sa.Column("output_unit", sa.String(length=80), nullable=False),
        sa.Column("norm_minutes", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("complexity", sa.String(length=40), nullable=False),
        sa.Column("complexity_coefficient", sa.Numeric(precision=5, scale=3), nullable=False),
        sa.Column("field", sa.String(length=120), nullable=True),
        sa.Column("done_definition", sa.Text(), nullable=True),
        sa.Column("has_deadline", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change_note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("complexity_coefficient > 0", name=op.f("ck_catalog_item_versions_coefficient_positive")),
        sa.CheckConstraint("norm_minutes > 0", name=op.f("ck_catalog_item_versions_norm_positive")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_catalog_item_versions_period")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["catalog_items.tenant_id", "catalog_items.id"],
            name=op.f("fk_catalog_item_versions_tenant_id_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_catalog_item_versions_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_catalog_item_versions")),
        sa.UniqueConstraint(
            "tenant_id", "item_id", "number", name=op.f("uq_catalog_item_versions_tenant_id_item_id_number")
        ),
    )
    op.create_index(
        "ix_catalog_item_versions_item", "catalog_item_versions", ["tenant_id", "item_id", "valid_from"], unique=False
    )
    op.create_table(
        "job_description_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_description_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft", "submitted", "returned", "approved", name="jd_version_state", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change_note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_job_description_versions_period")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_description_id"],
            ["job_descriptions.tenant_id", "job_descriptions.id"],
            name=op.f("fk_job_description_versions_tenant_id_job_description_id_job_descriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_job_description_versions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_job_description_versions")),
        sa.UniqueConstraint(
            "tenant_id",
            "job_description_id",
            "number",
            name=op.f("uq_job_description_versions_tenant_id_job_description_id_number"),
        ),
    )
    op.create_index(
        "ix_job_description_versions_jd",
        "job_description_versions",
        ["tenant_id", "job_description_id", "valid_from"],
        unique=False,
    )
    op.create_table(
        "job_description_lines",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("expected_monthly_volume", sa.Numeric(precision=9, scale=2), nullable=True),
        sa.CheckConstraint(
            "expected_monthly_volume IS NULL OR expected_monthly_volume >= 0",
            name=op.f("ck_job_description_lines_volume"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["catalog_items.tenant_id", "catalog_items.id"],
            name=op.f("fk_job_description_lines_tenant_id_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "version_id"],
            ["job_description_versions.tenant_id", "job_description_versions.id"],
            name=op.f("fk_job_description_lines_tenant_id_version_id_job_description_versions"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_job_description_lines_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "version_id", "item_id", name=op.f("pk_job_description_lines")),
    )
    op.create_index("ix_job_description_lines_item", "job_description_lines", ["tenant_id", "item_id"], unique=False)
    op.create_table(
        "work_entries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("actual_minutes", sa.Numeric(precision=9, scale=2), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "returned",
                "locked",
                name="work_entry_state",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence_ref", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("actual_minutes IS NULL OR actual_minutes >= 0", name=op.f("ck_work_entries_minutes")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_work_entries_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["catalog_items.tenant_id", "catalog_items.id"],
            name=op.f("fk_work_entries_tenant_id_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_version_id"],
            ["catalog_item_versions.tenant_id", "catalog_item_versions.id"],
            name=op.f("fk_work_entries_tenant_id_item_version_id_catalog_item_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_work_entries_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_work_entries_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_work_entries")),
    )
    op.create_index("ix_work_entries_item_day", "work_entries", ["tenant_id", "item_id", "work_date"], unique=False)
    op.create_index(
        "ix_work_entries_official_day", "work_entries", ["tenant_id", "official_id", "work_date"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_work_entries_official_day", table_name="work_entries")
    op.drop_index("ix_work_entries_item_day", table_name="work_entries")
    op.drop_table("work_entries")
    op.drop_index("ix_job_description_lines_item", table_name="job_description_lines")
    op.drop_table("job_description_lines")
    op.drop_index("ix_job_description_versions_jd", table_name="job_description_versions")
    op.drop_table("job_description_versions")
    op.drop_index("ix_catalog_item_versions_item", table_name="catalog_item_versions")
    op.drop_table("catalog_item_versions")
    op.drop_index(
        "uq_job_descriptions_tenant_wide",
        table_name="job_descriptions",
        postgresql_where=sa.text("agency_id IS NULL"),
        sqlite_where=sa.text("agency_id IS NULL"),
    )
    op.drop_table("job_descriptions")
    op.drop_index(
        "ix_catalog_items_search_trgm",
        table_name="catalog_items",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_index("ix_catalog_items_filter", table_name="catalog_items")
    op.drop_table("catalog_items")
    op.drop_table("complexity_levels")
