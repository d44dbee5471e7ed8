"""Onboarding: import jobs and rollout events; versioned scoring settings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:07:19.844671
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TENANT_TABLES = ("import_jobs", "rollout_events", "scoring_settings_versions")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "invalid",
                "failed",
                name="import_job_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "options", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=True),
        sa.Column(
            "progress", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "report", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_import_jobs_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_created", "import_jobs", ["tenant_id", "created_at"], unique=False)
    op.create_table(
        "rollout_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "step",
            sa.Enum("pilot_started", "official_start", "extension", name="rollout_step", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column(
            "unit_codes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_rollout_events_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rollout_events")),
    )
    op.create_index("ix_rollout_events_step", "rollout_events", ["tenant_id", "step", "on_date"], unique=False)
    op.create_table(
        "scoring_settings_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("origin", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_scoring_settings_versions_period")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_scoring_settings_versions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_scoring_settings_versions")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_scoring_settings_versions_tenant_id_number")),
    )
    op.create_index(
        "ix_scoring_settings_versions_from", "scoring_settings_versions", ["tenant_id", "valid_from"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_scoring_settings_versions_from", table_name="scoring_settings_versions")
    op.drop_table("scoring_settings_versions")
    op.drop_index("ix_rollout_events_step", table_name="rollout_events")
    op.drop_table("rollout_events")
    op.drop_index("ix_import_jobs_created", table_name="import_jobs")
    op.drop_table("import_jobs")
