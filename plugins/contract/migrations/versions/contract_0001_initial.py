"""contract: work orders, their step log, expiry notices and the template library

The first revision of the contract plugin's own branch. It applies after the core's file
store (0007_core_files: stored_file) and the opportunity branch (opportunity_opportunity),
whose tables it references.

Revision ID: contract_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = 'contract_0001'
down_revision = None
branch_labels = ('contract',)
depends_on = ['0007_core_files', 'opportunity_0001']


def upgrade():
    op.create_table('contract_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('leased_line', sa.Boolean(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('fields_used', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_contract_template_created_by_id_user')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_contract_template_file_id_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_template'))
    )
    op.create_table('contract_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('active_opportunity_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('is_leased_line', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('party_a', sa.String(length=200), nullable=False),
    sa.Column('party_b', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('products', sa.Text(), nullable=False),
    sa.Column('payment_terms', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('contract_file_id', sa.Integer(), nullable=True),
    sa.Column('signed_file_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('construction', sa.JSON(), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('business_approved_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('state_entered_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_approved_by_id'], ['user.id'], name=op.f('fk_contract_contract_business_approved_by_id_user')),
    sa.ForeignKeyConstraint(['contract_file_id'], ['stored_file.id'], name=op.f('fk_contract_contract_contract_file_id_stored_file')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_contract_contract_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_contract_contract_customer_id_customer')),
    sa.ForeignKeyConstraint(['handler_id'], ['user.id'], name=op.f('fk_contract_contract_handler_id_user')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_contract_contract_opportunity_id_opportunity_opportunity')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_contract_contract_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_contract_contract_owner_id_user')),
    sa.ForeignKeyConstraint(['signed_file_id'], ['stored_file.id'], name=op.f('fk_contract_contract_signed_file_id_stored_file')),
    sa.ForeignKeyConstraint(['template_id'], ['contract_template.id'], name=op.f('fk_contract_contract_template_id_contract_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_contract')),
    sa.UniqueConstraint('active_opportunity_id', name=op.f('uq_contract_contract_active_opportunity_id')),
    sa.UniqueConstraint('code', name=op.f('uq_contract_contract_code'))
    )
    with op.batch_alter_table('contract_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_contract_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_contract_end_date'), ['end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_contract_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_contract_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_contract_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index('ix_contract_contract_org_unit_state', ['org_unit_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_contract_owner_id'), ['owner_id'], unique=False)

    op.create_table('contract_expiry_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=16), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract_contract.id'], name=op.f('fk_contract_expiry_notice_contract_id_contract_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_expiry_notice')),
    sa.UniqueConstraint('contract_id', 'threshold', 'end_date', name=op.f('uq_contract_expiry_notice_contract_id'))
    )
    op.create_table('contract_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_contract_step_actor_id_user')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract_contract.id'], name=op.f('fk_contract_step_contract_id_contract_contract')),
    sa.ForeignKeyConstraint(['handler_id'], ['user.id'], name=op.f('fk_contract_step_handler_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_step'))
    )
    with op.batch_alter_table('contract_step', schema=None) as batch_op:
        batch_op.create_index('ix_contract_step_contract', ['contract_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('contract_step', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_step_contract')

    op.drop_table('contract_step')
    op.drop_table('contract_expiry_notice')
    with op.batch_alter_table('contract_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_contract_owner_id'))
        batch_op.drop_index('ix_contract_contract_org_unit_state')
        batch_op.drop_index(batch_op.f('ix_contract_contract_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_contract_contract_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_contract_contract_handler_id'))
        batch_op.drop_index(batch_op.f('ix_contract_contract_end_date'))
        batch_op.drop_index(batch_op.f('ix_contract_contract_customer_id'))

    op.drop_table('contract_contract')
    op.drop_table('contract_template')
