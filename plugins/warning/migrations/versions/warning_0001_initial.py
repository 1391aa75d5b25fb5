"""warning: customer indicators (metrics), warnings with their closed loop, thresholds per unit

The first revision of the warning plugin's own branch. It applies after the core's file
store (0007_core_files), the last core revision; it references customer, org_unit and user.

Revision ID: warning_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = 'warning_0001'
down_revision = None
branch_labels = ('warning',)
depends_on = ['0007_core_files']


def upgrade():
    op.create_table('warning_threshold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('param', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_warning_threshold_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_warning_threshold_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_threshold')),
    sa.UniqueConstraint('org_unit_id', 'rule', 'param', name=op.f('uq_warning_threshold_org_unit_id'))
    )
    op.create_table('warning_metric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('granularity', sa.String(length=5), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('traffic', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('balance', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('arrears', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('arrears_days', sa.Integer(), nullable=True),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_warning_metric_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_metric')),
    sa.UniqueConstraint('customer_id', 'granularity', 'period', name=op.f('uq_warning_metric_customer_id'))
    )
    with op.batch_alter_table('warning_metric', schema=None) as batch_op:
        batch_op.create_index('ix_warning_metric_period', ['granularity', 'period', 'customer_id'], unique=False)

    op.create_table('warning_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('baseline', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('change_pct', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('threshold', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('scan_token', sa.String(length=32), nullable=True),
    sa.Column('escalation_token', sa.String(length=32), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_warning_warning_customer_id_customer')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_warning_warning_handled_by_id_user')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_warning_warning_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_warning_warning_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_warning')),
    sa.UniqueConstraint('customer_id', 'rule', 'period', name=op.f('uq_warning_warning_customer_id'))
    )
    with op.batch_alter_table('warning_warning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_warning_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_warning_escalation_token'), ['escalation_token'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_warning_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_warning_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_warning_warning_owner_status', ['owner_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_warning_scan_token'), ['scan_token'], unique=False)
        batch_op.create_index('ix_warning_warning_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_warning_warning_unit_status', ['org_unit_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('warning_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_warning_warning_unit_status')
        batch_op.drop_index('ix_warning_warning_status_due')
        batch_op.drop_index(batch_op.f('ix_warning_warning_scan_token'))
        batch_op.drop_index('ix_warning_warning_owner_status')
        batch_op.drop_index(batch_op.f('ix_warning_warning_owner_id'))
        batch_op.drop_index(batch_op.f('ix_warning_warning_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_warning_warning_escalation_token'))
        batch_op.drop_index(batch_op.f('ix_warning_warning_customer_id'))

    op.drop_table('warning_warning')
    with op.batch_alter_table('warning_metric', schema=None) as batch_op:
        batch_op.drop_index('ix_warning_metric_period')

    op.drop_table('warning_metric')
    op.drop_table('warning_threshold')
