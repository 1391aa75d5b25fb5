"""opportunity: monthly targets (目标) per org unit and per account manager.

`target_key` ("YYYY-MM:<unit id>:<owner id or 0>") is unique, so there is one target per
month and unit, or per month and person, on both databases (a UNIQUE over the nullable
owner column would let two unit targets of one month through).

Revision ID: opportunity_0002
Revises: opportunity_0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = "opportunity_0002"
down_revision = "opportunity_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "opportunity_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("revenue_target", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("leased_line_target", sa.Integer(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"], name=op.f("fk_opportunity_target_org_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_opportunity_target_owner_id_user")),
        sa.ForeignKeyConstraint(["set_by_id"], ["user.id"], name=op.f("fk_opportunity_target_set_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_target")),
        sa.UniqueConstraint("target_key", name=op.f("uq_opportunity_target_target_key")),
    )
    with op.batch_alter_table("opportunity_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_target_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_target_org_unit_id"), ["org_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_target_owner_id"), ["owner_id"], unique=False)


def downgrade():
    with op.batch_alter_table("opportunity_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_target_owner_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_target_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_target_month"))
    op.drop_table("opportunity_target")
