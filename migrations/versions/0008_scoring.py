"""Scoring: period runs and results, general marks, leave, disciplinary records, organisational KPI.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:25:20.805335
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "kpi_indicators",
    "period_runs",
    "disciplinary_records",
    "general_marks",
    "leave_periods",
    "period_results",
    "kpi_values",
)


def upgrade() -> None:
    op.create_table(
        "kpi_indicators",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("group", sa.String(length=60), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("unit_of_measure", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_kpi_indicators_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_kpi_indicators")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_kpi_indicators_tenant_id_code")),
    )
    op.create_table(
        "period_runs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("month", "quarter", "year", name="period_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("settings_version_id", sa.Uuid(), nullable=True),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("running", "done", "failed", name="run_status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column(
            "progress", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("officials", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_period_runs_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_period_runs")),
    )
    op.create_index("ix_period_runs_period", "period_runs", ["tenant_id", "kind", "start", "created_at"], unique=False)
    op.create_table(
        "disciplinary_records",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("decision_number", sa.String(length=100), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_disciplinary_records_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_disciplinary_records_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_disciplinary_records")),
    )
    op.create_table(
        "general_marks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("marked_by", sa.Uuid(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_general_marks_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_general_marks_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "official_id", "month", name=op.f("pk_general_marks")),
    )
    op.create_table(
        "leave_periods",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_leave_periods_order")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_leave_periods_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_leave_periods_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_leave_periods")),
    )
    op.create_index(
        "ix_leave_periods_official", "leave_periods", ["tenant_id", "official_id", "first_day"], unique=False
    )
    op.create_table(
        "period_results",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("duty_group", sa.String(length=40), nullable=True),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("working_days", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("available_hours", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("credited_hours", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("points", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("own_task", sa.Numeric(precision=7, scale=3), nullable=True),
        sa.Column("unit_score", sa.Numeric(precision=7, scale=3), nullable=True),
        sa.Column("task", sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column("general", sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column("general_assumed", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("tier_before_quota", sa.Integer(), nullable=False),
        sa.Column("demoted_by_quota", sa.Boolean(), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column(
            "flags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_period_results_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["period_runs.tenant_id", "period_runs.id"],
            name=op.f("fk_period_results_tenant_id_run_id_period_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_period_results_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "run_id", "official_id", name=op.f("pk_period_results")),
    )
    op.create_index("ix_period_results_official", "period_results", ["tenant_id", "official_id"], unique=False)
    op.create_table(
        "kpi_values",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("month", "quarter", "year", name="period_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("target", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("actual", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column("weight", sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target > 0", name=op.f("ck_kpi_values_target_positive")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_kpi_values_weight_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "indicator_id"],
            ["kpi_indicators.tenant_id", "kpi_indicators.id"],
            name=op.f("fk_kpi_values_tenant_id_indicator_id_kpi_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_kpi_values_tenant_id_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_kpi_values_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "indicator_id", "unit_id", "kind", "start", name=op.f("pk_kpi_values")),
    )
    with op.batch_alter_table("work_entries") as batch:
        batch.add_column(sa.Column("late_working_days", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("work_entries") as batch:
        batch.alter_column("late_working_days", server_default=None)
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("work_entries") as batch:
        batch.drop_column("late_working_days")
    op.drop_table("kpi_values")
    op.drop_index("ix_period_results_official", table_name="period_results")
    op.drop_table("period_results")
    op.drop_index("ix_leave_periods_official", table_name="leave_periods")
    op.drop_table("leave_periods")
    op.drop_table("general_marks")
    op.drop_table("disciplinary_records")
    op.drop_index("ix_period_runs_period", table_name="period_runs")
    op.drop_table("period_runs")
    op.drop_table("kpi_indicators")
