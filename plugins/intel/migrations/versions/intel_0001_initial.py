"""intel: competitors, intelligence, attachments, tags and pushes

The first revision of the intel plugin's own branch. It applies after the core's file store
(0007_core_files: stored_file) and the opportunity branch (opportunity_opportunity, which an
item may link), whose tables it references, and fills the competitor list with the shipped
defaults (intel admins edit it from then on).

Revision ID: intel_0001
Revises:
Create Date: 2026-11-23
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = 'intel_0001'
down_revision = None
branch_labels = ('intel',)
depends_on = ['0007_core_files', 'opportunity_0001']

DEFAULT_COMPETITORS = (
    ("中国移动", "operator"), ("中国联通", "operator"), ("中国广电", "operator"),
    ("长城宽带", "local_isp"), ("地方有线电视网络公司", "local_isp"), ("阿里云", "cloud"),
)


def upgrade():
    op.create_table('intel_competitor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_competitor')),
    sa.UniqueConstraint('name', name=op.f('uq_intel_competitor_name'))
    )
    op.create_table('intel_intel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('competitor_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('offer', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_detail', sa.String(length=200), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=True),
    sa.Column('screening_note', sa.Text(), nullable=False),
    sa.Column('screened_by_id', sa.Integer(), nullable=True),
    sa.Column('screened_at', sa.DateTime(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', sa.DateTime(), nullable=True),
    sa.Column('pushed_at', sa.DateTime(), nullable=True),
    sa.Column('push_count', sa.Integer(), nullable=False),
    sa.Column('duplicate_count', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['intel_competitor.id'], name=op.f('fk_intel_intel_competitor_id_intel_competitor')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_intel_intel_customer_id_customer')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['user.id'], name=op.f('fk_intel_intel_merged_by_id_user')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['intel_intel.id'], name=op.f('fk_intel_intel_merged_into_id_intel_intel')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity_opportunity.id'], name=op.f('fk_intel_intel_opportunity_id_opportunity_opportunity')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_intel_intel_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_intel_intel_owner_id_user')),
    sa.ForeignKeyConstraint(['screened_by_id'], ['user.id'], name=op.f('fk_intel_intel_screened_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_intel')),
    sa.UniqueConstraint('code', name=op.f('uq_intel_intel_code'))
    )
    with op.batch_alter_table('intel_intel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_intel_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_intel_intel_observed_competitor', ['observed_on', 'competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_observed_on'), ['observed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index('ix_intel_intel_org_unit_status', ['org_unit_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_intel_owner_id'), ['owner_id'], unique=False)

    op.create_table('intel_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intel_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_intel_attachment_file_id_stored_file')),
    sa.ForeignKeyConstraint(['intel_id'], ['intel_intel.id'], name=op.f('fk_intel_attachment_intel_id_intel_intel')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_intel_attachment_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_attachment'))
    )
    with op.batch_alter_table('intel_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_attachment_intel_id'), ['intel_id'], unique=False)

    op.create_table('intel_push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intel_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('pushed_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('via_merge_of', sa.Integer(), nullable=True),
    sa.Column('pushed_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['intel_id'], ['intel_intel.id'], name=op.f('fk_intel_push_intel_id_intel_intel')),
    sa.ForeignKeyConstraint(['pushed_by_id'], ['user.id'], name=op.f('fk_intel_push_pushed_by_id_user')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_intel_push_recipient_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_push')),
    sa.UniqueConstraint('intel_id', 'recipient_id', name=op.f('uq_intel_push_intel_id'))
    )
    with op.batch_alter_table('intel_push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_push_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_intel_push_recipient_pushed', ['recipient_id', 'pushed_at'], unique=False)

    op.create_table('intel_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intel_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['intel_id'], ['intel_intel.id'], name=op.f('fk_intel_tag_intel_id_intel_intel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_tag')),
    sa.UniqueConstraint('intel_id', 'tag', name=op.f('uq_intel_tag_intel_id'))
    )
    with op.batch_alter_table('intel_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_tag_tag'), ['tag'], unique=False)

    # The competitor list as shipped with this revision (kept here, not imported, so the
    # migration stays what it was when later code changes the defaults).
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    competitor = sa.table('intel_competitor', sa.column('name', sa.String), sa.column('kind', sa.String),
                          sa.column('notes', sa.Text), sa.column('active', sa.Boolean), sa.column('order', sa.Integer),
                          sa.column('created_at', sa.DateTime), sa.column('updated_at', sa.DateTime),
                          sa.column('version', sa.Integer))
    op.bulk_insert(competitor, [
        {"name": name, "kind": kind, "notes": "", "active": True, "order": (index + 1) * 10, "created_at": now,
         "updated_at": now, "version": 1}
        for index, (name, kind) in enumerate(DEFAULT_COMPETITORS)])


def downgrade():
    with op.batch_alter_table('intel_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_tag_tag'))

    op.drop_table('intel_tag')
    with op.batch_alter_table('intel_push', schema=None) as batch_op:
        batch_op.drop_index('ix_intel_push_recipient_pushed')
        batch_op.drop_index(batch_op.f('ix_intel_push_recipient_id'))

    op.drop_table('intel_push')
    with op.batch_alter_table('intel_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_attachment_intel_id'))

    op.drop_table('intel_attachment')
    with op.batch_alter_table('intel_intel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_intel_owner_id'))
        batch_op.drop_index('ix_intel_intel_org_unit_status')
        batch_op.drop_index(batch_op.f('ix_intel_intel_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_intel_intel_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_intel_intel_observed_on'))
        batch_op.drop_index('ix_intel_intel_observed_competitor')
        batch_op.drop_index(batch_op.f('ix_intel_intel_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_intel_intel_customer_id'))
        batch_op.drop_index(batch_op.f('ix_intel_intel_competitor_id'))

    op.drop_table('intel_intel')
    op.drop_table('intel_competitor')
