"""Work logging and review: entry fields, the tenant calendar, closed periods, e-document events.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:15:18.103078
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kpi_platform.tenancy import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TENANT_TABLES = ("calendar_days", "closed_periods", "edoc_events", "edoc_integrations")


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("holiday", "working", name="calendar_day_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_calendar_days_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "closed_periods",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("locked_entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_closed_periods_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "month", name=op.f("pk_closed_periods")),
    )
    op.create_table(
        "edoc_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "entry_created",
                "parked",
                "resolved",
                "dismissed",
                name="edoc_event_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("problem_code", sa.String(length=60), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_edoc_events_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_edoc_events")),
        sa.UniqueConstraint("tenant_id", "event_id", name=op.f("uq_edoc_events_tenant_id_event_id")),
    )
    op.create_index("ix_edoc_events_status", "edoc_events", ["tenant_id", "status", "received_at"], unique=False)
    op.create_table(
        "edoc_integrations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "item_map", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_edoc_integrations_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_edoc_integrations")),
    )
    with op.batch_alter_table("work_entries") as batch:
        batch.add_column(sa.Column("evidence_url", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("attachment_ref", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("quality", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("return_reason", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("auto_approved", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column(
                "source",
                sa.Enum("manual", "edoc", name="work_entry_source", native_enum=False, length=20),
                nullable=False,
                server_default="manual",
            )
        )
        batch.add_column(sa.Column("source_event_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(length=100), nullable=True))
        batch.create_index("ix_work_entries_state", ["tenant_id", "state", "submitted_at"], unique=False)
        batch.create_unique_constraint(
            "uq_work_entries_tenant_id_official_id_idempotency_key", ["tenant_id", "official_id", "idempotency_key"]
        )
        batch.create_unique_constraint(
            "uq_work_entries_tenant_id_source_source_event_id", ["tenant_id", "source", "source_event_id"]
        )
    with op.batch_alter_table("work_entries") as batch:  # the defaults were for existing rows only
        batch.alter_column("auto_approved", server_default=None)
        batch.alter_column("source", server_default=None)
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in rls.tenant_table_rls(table):
                op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("work_entries") as batch:
        batch.drop_constraint("uq_work_entries_tenant_id_source_source_event_id", type_="unique")
        batch.drop_constraint("uq_work_entries_tenant_id_official_id_idempotency_key", type_="unique")
        batch.drop_index("ix_work_entries_state")
        for column in (
            "idempotency_key",
            "source_event_id",
            "source",
            "auto_approved",
            "return_reason",
            "reviewed_at",
            "reviewed_by",
            "submitted_at",
            "quality",
            "completed_on",
            "deadline",
            "attachment_ref",
            "evidence_url",
        ):
            batch.drop_column(column)
    op.drop_table("edoc_integrations")
    op.drop_index("ix_edoc_events_status", table_name="edoc_events")
    op.drop_table("edoc_events")
    op.drop_table("closed_periods")
    op.drop_table("calendar_days")
