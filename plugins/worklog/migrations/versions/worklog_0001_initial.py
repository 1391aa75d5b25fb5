"""worklog: work logs (typed and system entries) and weekly visit plans

The first revision of the worklog plugin's own branch. It applies after the core's
revisions up to the file store (0007_core_files), whose customer, user and org_unit tables
it references.

Revision ID: worklog_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = 'worklog_0001'
down_revision = None
branch_labels = ('worklog',)
depends_on = ['0007_core_files']


def upgrade():
    op.create_table('worklog_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_worklog_plan_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_worklog_plan_customer_id_customer')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_worklog_plan_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_worklog_plan_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worklog_plan'))
    )
    op.create_index('ix_worklog_plan_customer', 'worklog_plan', ['customer_id'], unique=False)
    op.create_index(op.f('ix_worklog_plan_org_unit_id'), 'worklog_plan', ['org_unit_id'], unique=False)
    op.create_index(op.f('ix_worklog_plan_owner_id'), 'worklog_plan', ['owner_id'], unique=False)
    op.create_index('ix_worklog_plan_owner_planned', 'worklog_plan', ['owner_id', 'planned_on'], unique=False)
    op.create_index('ix_worklog_plan_unit_planned', 'worklog_plan', ['org_unit_id', 'planned_on'], unique=False)
    op.create_table('worklog_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('contacts', sa.JSON(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('system', sa.Boolean(), nullable=False),
    sa.Column('event_name', sa.String(length=80), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_worklog_log_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_worklog_log_customer_id_customer')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_worklog_log_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_worklog_log_owner_id_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['worklog_plan.id'], name=op.f('fk_worklog_log_plan_id_worklog_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worklog_log')),
    sa.UniqueConstraint('event_id', name=op.f('uq_worklog_log_event_id')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_worklog_log_plan_id'))
    )
    op.create_index('ix_worklog_log_customer_happened', 'worklog_log', ['customer_id', 'happened_at'], unique=False)
    op.create_index(op.f('ix_worklog_log_org_unit_id'), 'worklog_log', ['org_unit_id'], unique=False)
    op.create_index(op.f('ix_worklog_log_owner_id'), 'worklog_log', ['owner_id'], unique=False)
    op.create_index('ix_worklog_log_owner_happened', 'worklog_log', ['owner_id', 'happened_at'], unique=False)
    op.create_index('ix_worklog_log_unit_happened', 'worklog_log', ['org_unit_id', 'happened_at'], unique=False)


def downgrade():
    op.drop_table('worklog_log')
    op.drop_table('worklog_plan')
