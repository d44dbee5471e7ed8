"""Benchmarking: the national taxonomy (version 1), tenants' mappings and preferences, the read
model (snapshots and published cells) and its refresh runs.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:26:34.215864
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.benchmarking.taxonomy import VERSION_1, rows
from kpi_platform.tenancy import rls

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benchmark_refreshes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column(
            "scope", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column(
            "outcome", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_refreshes")),
    )
    op.create_table(
        "benchmark_taxonomy_versions",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_benchmark_taxonomy_versions")),
    )
    op.create_table(
        "benchmark_mappings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_benchmark_mappings_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "subject", "code", "dimension", name=op.f("pk_benchmark_mappings")),
    )
    op.create_table(
        "benchmark_preferences",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("named_to_peers", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_benchmark_preferences_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_benchmark_preferences")),
    )
    op.create_table(
        "benchmark_snapshots",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("taxonomy_version", sa.Integer(), nullable=False),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("source_run_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("quota_share", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("cells_published", sa.Integer(), nullable=False),
        sa.Column("cells_suppressed", sa.Integer(), nullable=False),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.Column(
            "unmapped", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_benchmark_snapshots_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "month", name=op.f("pk_benchmark_snapshots")),
    )
    op.create_table(
        "benchmark_taxonomy_terms",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["benchmark_taxonomy_versions.number"],
            name=op.f("fk_benchmark_taxonomy_terms_version_benchmark_taxonomy_versions"),
        ),
        sa.PrimaryKeyConstraint("version", "dimension", "code", name=op.f("pk_benchmark_taxonomy_terms")),
    )
    op.create_table(
        "benchmark_cells",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_kind", sa.String(length=60), nullable=False),
        sa.Column("sector", sa.String(length=60), nullable=False),
        sa.Column("position_category", sa.String(length=60), nullable=False),
        sa.Column("staff_kind", sa.String(length=60), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("tier_1", sa.Integer(), nullable=False),
        sa.Column("tier_2", sa.Integer(), nullable=False),
        sa.Column("tier_3", sa.Integer(), nullable=False),
        sa.Column("tier_4", sa.Integer(), nullable=False),
        sa.Column("tier_1_before_quota", sa.Integer(), nullable=False),
        sa.Column("tier_2_before_quota", sa.Integer(), nullable=False),
        sa.Column("demoted_by_quota", sa.Integer(), nullable=False),
        sa.Column("total_mean", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("total_q1", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("total_median", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("total_q3", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("task_mean", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("task_q1", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("task_median", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("task_q3", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("method_hours", sa.Integer(), nullable=False),
        sa.Column("method_decree", sa.Integer(), nullable=False),
        sa.Column("coverage_known", sa.Integer(), nullable=False),
        sa.Column("coverage_ok", sa.Integer(), nullable=False),
        sa.Column("entries_reviewed", sa.Integer(), nullable=False),
        sa.Column("entries_returned", sa.Integer(), nullable=False),
        sa.Column("latency_entries", sa.Integer(), nullable=False),
        sa.Column("latency_mean", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("working_days", sa.Numeric(precision=10, scale=1), nullable=False),
        sa.Column("hours_per_day", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("above_cap", sa.Integer(), nullable=False),
        sa.Column("needed_fte", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("kpi_officials", sa.Integer(), nullable=False),
        sa.Column("kpi_mean", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "month"],
            ["benchmark_snapshots.tenant_id", "benchmark_snapshots.month"],
            name=op.f("fk_benchmark_cells_tenant_id_month_benchmark_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_benchmark_cells_tenant_id_tenants")),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "month",
            "unit_kind",
            "sector",
            "position_category",
            "staff_kind",
            name=op.f("pk_benchmark_cells"),
        ),
    )
    version, terms = rows(VERSION_1)
    op.bulk_insert(
        sa.table("benchmark_taxonomy_versions", *(sa.column(k) for k in (*version, "published_at"))),
        [{**version, "published_at": datetime.now(UTC)}],
    )
    op.bulk_insert(sa.table("benchmark_taxonomy_terms", *(sa.column(k) for k in terms[0])), terms)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("benchmark_mappings", "benchmark_preferences", "benchmark_snapshots", "benchmark_cells"):
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)
        app_role, _ = rls.db_roles()
        # Reference data and the read model: the app reads them; only the door (and migrations) write.
        for table in (
            "benchmark_taxonomy_versions",
            "benchmark_taxonomy_terms",
            "benchmark_refreshes",
            "benchmark_snapshots",
            "benchmark_cells",
        ):
            op.execute(f'REVOKE INSERT, UPDATE, DELETE ON {table} FROM "{app_role}"')


def downgrade() -> None:
    op.drop_table("benchmark_cells")
    op.drop_table("benchmark_taxonomy_terms")
    op.drop_table("benchmark_snapshots")
    op.drop_table("benchmark_preferences")
    op.drop_table("benchmark_mappings")
    op.drop_table("benchmark_taxonomy_versions")
    op.drop_table("benchmark_refreshes")
