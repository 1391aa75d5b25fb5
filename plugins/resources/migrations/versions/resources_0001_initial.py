"""resources: types, catalogue items, stock per unit with its append-only ledger, requests

The first revision of the resources plugin's own branch. It applies after the core's file
store (0007_core_files: stored_file, for photos of use). The ledger's append-only triggers
are created here as create_all creates them from the models.

Revision ID: resources_0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa



revision = 'resources_0001'
down_revision = None
branch_labels = ('resources',)
depends_on = ['0007_core_files']

# The ledger is append-only: the database refuses to change or delete an entry (the same
# statements plugins/resources/models.py attaches to create_all).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS resources_stock_entry_no_update BEFORE UPDATE ON resources_stock_entry BEGIN SELECT RAISE(ABORT, 'resources_stock_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS resources_stock_entry_no_delete BEFORE DELETE ON resources_stock_entry BEGIN SELECT RAISE(ABORT, 'resources_stock_entry is append-only'); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION resources_stock_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'resources_stock_entry is append-only'; END $$",
    'CREATE TRIGGER resources_stock_entry_append_only BEFORE UPDATE OR DELETE ON resources_stock_entry FOR EACH ROW EXECUTE FUNCTION resources_stock_entry_refuse_change()',
)


def upgrade():
    op.create_table('resources_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_type')),
    sa.UniqueConstraint('code', name=op.f('uq_resources_type_code'))
    )
    op.create_table('resources_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('unit_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('pinyin', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['type_id'], ['resources_type.id'], name=op.f('fk_resources_item_type_id_resources_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_item')),
    sa.UniqueConstraint('code', name=op.f('uq_resources_item_code'))
    )
    with op.batch_alter_table('resources_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_item_type_id'), ['type_id'], unique=False)

    op.create_table('resources_stock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('low_threshold', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_resources_stock_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_resources_stock_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_resources_stock_reserved_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['resources_item.id'], name=op.f('fk_resources_stock_item_id_resources_item')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_resources_stock_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_resources_stock_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_stock')),
    sa.UniqueConstraint('item_id', 'org_unit_id', name=op.f('uq_resources_stock_item_id'))
    )
    with op.batch_alter_table('resources_stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_stock_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_stock_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_stock_owner_id'), ['owner_id'], unique=False)

    op.create_table('resources_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('total_value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('use_note', sa.Text(), nullable=False),
    sa.Column('use_photo_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('issued_month', sa.String(length=7), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_resources_request_customer_id_customer')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_resources_request_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_resources_request_owner_id_user')),
    sa.ForeignKeyConstraint(['type_id'], ['resources_type.id'], name=op.f('fk_resources_request_type_id_resources_type')),
    sa.ForeignKeyConstraint(['use_photo_id'], ['stored_file.id'], name=op.f('fk_resources_request_use_photo_id_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_request')),
    sa.UniqueConstraint('code', name=op.f('uq_resources_request_code'))
    )
    with op.batch_alter_table('resources_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_resources_request_issued', ['issued_month', 'type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_request_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_request_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_request_type_id'), ['type_id'], unique=False)
        batch_op.create_index('ix_resources_request_unit_state', ['org_unit_id', 'state'], unique=False)

    op.create_table('resources_request_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('stock_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_resources_request_line_quantity_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['resources_item.id'], name=op.f('fk_resources_request_line_item_id_resources_item')),
    sa.ForeignKeyConstraint(['request_id'], ['resources_request.id'], name=op.f('fk_resources_request_line_request_id_resources_request')),
    sa.ForeignKeyConstraint(['stock_id'], ['resources_stock.id'], name=op.f('fk_resources_request_line_stock_id_resources_stock')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_request_line'))
    )
    with op.batch_alter_table('resources_request_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_request_line_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_request_line_stock_id'), ['stock_id'], unique=False)

    op.create_table('resources_request_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_resources_request_step_actor_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['resources_request.id'], name=op.f('fk_resources_request_step_request_id_resources_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_request_step'))
    )
    with op.batch_alter_table('resources_request_step', schema=None) as batch_op:
        batch_op.create_index('ix_resources_request_step_request', ['request_id', 'at'], unique=False)

    op.create_table('resources_stock_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stock_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('on_hand_after', sa.Integer(), nullable=False),
    sa.Column('reserved_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_resources_stock_entry_actor_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['resources_request.id'], name=op.f('fk_resources_stock_entry_request_id_resources_request')),
    sa.ForeignKeyConstraint(['stock_id'], ['resources_stock.id'], name=op.f('fk_resources_stock_entry_stock_id_resources_stock')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources_stock_entry'))
    )
    with op.batch_alter_table('resources_stock_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_stock_entry_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_resources_stock_entry_stock', ['stock_id', 'id'], unique=False)
    statements = POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS resources_stock_entry_append_only ON resources_stock_entry")
        op.execute("DROP FUNCTION IF EXISTS resources_stock_entry_refuse_change()")
    with op.batch_alter_table('resources_stock_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_resources_stock_entry_stock')
        batch_op.drop_index(batch_op.f('ix_resources_stock_entry_request_id'))

    op.drop_table('resources_stock_entry')
    with op.batch_alter_table('resources_request_step', schema=None) as batch_op:
        batch_op.drop_index('ix_resources_request_step_request')

    op.drop_table('resources_request_step')
    with op.batch_alter_table('resources_request_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_request_line_stock_id'))
        batch_op.drop_index(batch_op.f('ix_resources_request_line_request_id'))

    op.drop_table('resources_request_line')
    with op.batch_alter_table('resources_request', schema=None) as batch_op:
        batch_op.drop_index('ix_resources_request_unit_state')
        batch_op.drop_index(batch_op.f('ix_resources_request_type_id'))
        batch_op.drop_index(batch_op.f('ix_resources_request_owner_id'))
        batch_op.drop_index(batch_op.f('ix_resources_request_org_unit_id'))
        batch_op.drop_index('ix_resources_request_issued')
        batch_op.drop_index(batch_op.f('ix_resources_request_customer_id'))

    op.drop_table('resources_request')
    with op.batch_alter_table('resources_stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_stock_owner_id'))
        batch_op.drop_index(batch_op.f('ix_resources_stock_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_resources_stock_item_id'))

    op.drop_table('resources_stock')
    with op.batch_alter_table('resources_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_item_type_id'))

    op.drop_table('resources_item')
    op.drop_table('resources_type')
