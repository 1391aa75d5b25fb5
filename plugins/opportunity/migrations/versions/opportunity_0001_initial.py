"""opportunity: initial tables and the shipped category catalogue.

This folder is the plugin's own Alembic branch (label "opportunity"), applied after the core
revision 0006_core_imports whose tables (user, org_unit, customer) it references. The 19
shipped business categories are inserted here too (services.ensure_catalogue() adds any
that are missing later and never changes edited ones).

Revision ID: opportunity_0001
Revises:
Create Date: 2026-11-23
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = 'opportunity_0001'
down_revision = None
branch_labels = ('opportunity',)
depends_on = '0006_core_imports'


def upgrade():
    op.create_table('opportunity_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('is_ict', sa.Boolean(), nullable=False),
    sa.Column('is_leased_line', sa.Boolean(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['opportunity_category.id'], name=op.f('fk_opportunity_category_parent_id_opportunity_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_category')),
    sa.UniqueConstraint('code', name=op.f('uq_opportunity_category_code'))
    )
    op.create_table('opportunity_step_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('sla_hours', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_step_setting')),
    sa.UniqueConstraint('stage', name=op.f('uq_opportunity_step_setting_stage'))
    )
    op.create_table('opportunity_opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_entered_at', sa.DateTime(), nullable=False),
    sa.Column('stage_due_at', sa.DateTime(), nullable=True),
    sa.Column('pool_unit_id', sa.Integer(), nullable=True),
    sa.Column('pool_closes_at', sa.DateTime(), nullable=True),
    sa.Column('expected_revenue', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('signed_revenue', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('last_followup_at', sa.DateTime(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['opportunity_category.id'], name=op.f('fk_opportunity_opportunity_category_id_opportunity_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_opportunity_opportunity_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_opportunity_opportunity_customer_id_customer')),
    sa.ForeignKeyConstraint(['handler_id'], ['user.id'], name=op.f('fk_opportunity_opportunity_handler_id_user')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_opportunity_opportunity_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_opportunity_opportunity_owner_id_user')),
    sa.ForeignKeyConstraint(['pool_unit_id'], ['org_unit.id'], name=op.f('fk_opportunity_opportunity_pool_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_opportunity')),
    sa.UniqueConstraint('code', name=op.f('uq_opportunity_opportunity_code'))
    )
    with op.batch_alter_table('opportunity_opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index('ix_opportunity_opportunity_org_unit_stage', ['org_unit_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_opportunity_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_opportunity_opportunity_stage_due', ['stage', 'stage_due_at'], unique=False)

    op.create_table('opportunity_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_opportunity_alert_opportunity_id_opportunity_opportunity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_alert')),
    sa.UniqueConstraint('opportunity_id', 'kind', 'key', name=op.f('uq_opportunity_alert_opportunity_id'))
    )
    op.create_table('opportunity_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_opportunity_claim_opportunity_id_opportunity_opportunity')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_opportunity_claim_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_claim')),
    sa.UniqueConstraint('opportunity_id', 'user_id', name=op.f('uq_opportunity_claim_opportunity_id'))
    )
    op.create_table('opportunity_followup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_opportunity_followup_author_id_user')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_opportunity_followup_opportunity_id_opportunity_opportunity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_followup'))
    )
    with op.batch_alter_table('opportunity_followup', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_followup_opportunity', ['opportunity_id', 'happened_at'], unique=False)

    op.create_table('opportunity_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_opportunity_step_actor_id_user')),
    sa.ForeignKeyConstraint(['handler_id'], ['user.id'], name=op.f('fk_opportunity_step_handler_id_user')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_opportunity_step_opportunity_id_opportunity_opportunity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_step'))
    )
    with op.batch_alter_table('opportunity_step', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_step_opportunity', ['opportunity_id', 'at'], unique=False)

    _insert_catalogue()


def _insert_catalogue():
    # The catalogue as shipped with this revision: read from the plugin's catalogue module,
    # which only ever gains categories (edits happen in the database).
    from plugins.opportunity import catalogue

    table = sa.table('opportunity_category', sa.column('id', sa.Integer()), sa.column('code', sa.String()),
                     sa.column('name', sa.String()), sa.column('name_en', sa.String()),
                     sa.column('parent_id', sa.Integer()), sa.column('is_ict', sa.Boolean()),
                     sa.column('is_leased_line', sa.Boolean()), sa.column('fields', sa.JSON()),
                     sa.column('active', sa.Boolean()), sa.column('order', sa.Integer()),
                     sa.column('created_at', sa.DateTime()), sa.column('updated_at', sa.DateTime()))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(table, [
        {'code': code, 'name': name, 'name_en': name_en, 'parent_id': None, 'is_ict': is_ict,
         'is_leased_line': is_leased, 'fields': catalogue.category_fields(code, is_leased, extra), 'active': True,
         'order': (number + 1) * 10, 'created_at': now, 'updated_at': now}
        for number, (code, name, name_en, _parent, is_ict, is_leased, extra) in enumerate(catalogue.CATEGORIES)
    ])
    bind = op.get_bind()
    ids = dict(bind.execute(sa.select(table.c.code, table.c.id)).all())
    for code, _name, _name_en, parent, *_rest in catalogue.CATEGORIES:
        if parent:
            bind.execute(table.update().where(table.c.code == code).values(parent_id=ids[parent]))


def downgrade():
    with op.batch_alter_table('opportunity_step', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_step_opportunity')

    op.drop_table('opportunity_step')
    with op.batch_alter_table('opportunity_followup', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_followup_opportunity')

    op.drop_table('opportunity_followup')
    op.drop_table('opportunity_claim')
    op.drop_table('opportunity_alert')
    with op.batch_alter_table('opportunity_opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_opportunity_stage_due')
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_owner_id'))
        batch_op.drop_index('ix_opportunity_opportunity_org_unit_stage')
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_handler_id'))
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_customer_id'))
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_opportunity_opportunity_category_id'))

    op.drop_table('opportunity_opportunity')
    op.drop_table('opportunity_step_setting')
    op.drop_table('opportunity_category')
