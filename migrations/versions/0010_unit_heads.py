"""Unit heads with history (who headed a unit, from when to when); positions lose their unused
job_description_id (descriptions are found by position, and the column had no foreign key).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kpi_platform.tenancy import rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_heads",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("official_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_unit_heads_period")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "official_id"],
            ["officials.tenant_id", "officials.id"],
            name=op.f("fk_unit_heads_tenant_id_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_unit_heads_tenant_id_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_unit_heads_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_unit_heads")),
    )
    op.create_index("ix_unit_heads_unit", "unit_heads", ["tenant_id", "unit_id", "valid_from"])
    op.create_index("ix_unit_heads_official", "unit_heads", ["tenant_id", "official_id", "valid_from"])
    # Today's heads become headships since their unit's first day: the history before this
    # migration was not kept, and that is the reading that changes no score computed so far.
    bind = op.get_bind()
    uuid_expr = "gen_random_uuid()" if bind.dialect.name == "postgresql" else "lower(hex(randomblob(16)))"
    op.execute(
        f"""
        INSERT INTO unit_heads (tenant_id, id, unit_id, official_id, valid_from, valid_to, created_at)
        SELECT u.tenant_id, {uuid_expr}, u.id, u.head_official_id,
               (SELECT min(v.valid_from) FROM org_unit_versions v WHERE v.tenant_id = u.tenant_id AND v.unit_id = u.id),
               NULL, CURRENT_TIMESTAMP
        FROM org_units u
        WHERE u.head_official_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM org_unit_versions v WHERE v.tenant_id = u.tenant_id AND v.unit_id = u.id)
        """
    )
    with op.batch_alter_table("org_units") as batch:
        batch.drop_constraint("fk_org_units_head_official", type_="foreignkey")
        batch.drop_column("head_official_id")
    with op.batch_alter_table("job_positions") as batch:
        batch.drop_column("job_description_id")
    if bind.dialect.name == "postgresql":
        for statement in rls.tenant_table_rls("unit_heads"):
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("job_positions") as batch:
        batch.add_column(sa.Column("job_description_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("org_units") as batch:
        batch.add_column(sa.Column("head_official_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_org_units_head_official", "officials", ["tenant_id", "head_official_id"], ["tenant_id", "id"]
        )
    op.execute(
        """
        UPDATE org_units SET head_official_id = (
            SELECT h.official_id FROM unit_heads h
            WHERE h.tenant_id = org_units.tenant_id AND h.unit_id = org_units.id AND h.valid_to IS NULL
        )
        """
    )
    op.drop_table("unit_heads")
