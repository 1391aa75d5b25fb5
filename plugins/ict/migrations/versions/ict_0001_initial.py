"""ict: initial tables (projects, team, milestones, notes, documents, stage history).

The plugin's own Alembic branch (label "ict"). It references only core tables (customer,
user, org_unit, stored_file); the link to the opportunity work order is a plain integer
checked by the services, so this branch does not wait for the opportunity branch.

Revision ID: ict_0001
Revises:
"""
from alembic import op
import sqlalchemy as sa


revision = "ict_0001"
down_revision = None
branch_labels = ("ict",)
depends_on = "0007_core_files"


def upgrade():
    op.create_table('ict_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=50), nullable=False),
    sa.Column('scope_of_work', sa.Text(), nullable=False),
    sa.Column('estimated_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('confirmed_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('expected_start', sa.Date(), nullable=True),
    sa.Column('expected_end', sa.Date(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('abandon_reason', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_ict_project_customer_id_customer')),
    sa.ForeignKeyConstraint(['handler_id'], ['user.id'], name=op.f('fk_ict_project_handler_id_user')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_ict_project_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_ict_project_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_project')),
    sa.UniqueConstraint('code', name=op.f('uq_ict_project_code'))
    )
    with op.batch_alter_table('ict_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_project_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_ict_project_owner_stage', ['owner_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_project_stage'), ['stage'], unique=False)

    op.create_table('ict_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['ict_project.id'], name=op.f('fk_ict_document_project_id_ict_project')),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_ict_document_stored_file_id_stored_file')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_ict_document_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_document'))
    )
    with op.batch_alter_table('ict_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_document_project_id'), ['project_id'], unique=False)

    op.create_table('ict_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['ict_project.id'], name=op.f('fk_ict_member_project_id_ict_project')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_ict_member_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_member')),
    sa.UniqueConstraint('project_id', 'user_id', name='uq_ict_member_project_user')
    )
    with op.batch_alter_table('ict_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_member_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_member_user_id'), ['user_id'], unique=False)

    op.create_table('ict_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['ict_project.id'], name=op.f('fk_ict_milestone_project_id_ict_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_milestone'))
    )
    with op.batch_alter_table('ict_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_milestone_planned_date'), ['planned_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_milestone_project_id'), ['project_id'], unique=False)

    op.create_table('ict_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_ict_note_author_id_user')),
    sa.ForeignKeyConstraint(['project_id'], ['ict_project.id'], name=op.f('fk_ict_note_project_id_ict_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_note'))
    )
    with op.batch_alter_table('ict_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_note_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ict_note_project_id'), ['project_id'], unique=False)

    op.create_table('ict_stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=False),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_ict_stage_change_actor_id_user')),
    sa.ForeignKeyConstraint(['project_id'], ['ict_project.id'], name=op.f('fk_ict_stage_change_project_id_ict_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ict_stage_change'))
    )
    with op.batch_alter_table('ict_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ict_stage_change_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ict_stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_stage_change_project_id'))

    op.drop_table('ict_stage_change')
    with op.batch_alter_table('ict_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_note_project_id'))
        batch_op.drop_index(batch_op.f('ix_ict_note_created_at'))

    op.drop_table('ict_note')
    with op.batch_alter_table('ict_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_milestone_project_id'))
        batch_op.drop_index(batch_op.f('ix_ict_milestone_planned_date'))

    op.drop_table('ict_milestone')
    with op.batch_alter_table('ict_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_ict_member_project_id'))

    op.drop_table('ict_member')
    with op.batch_alter_table('ict_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_document_project_id'))

    op.drop_table('ict_document')
    with op.batch_alter_table('ict_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ict_project_stage'))
        batch_op.drop_index('ix_ict_project_owner_stage')
        batch_op.drop_index(batch_op.f('ix_ict_project_owner_id'))
        batch_op.drop_index(batch_op.f('ix_ict_project_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ict_project_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_ict_project_name'))
        batch_op.drop_index(batch_op.f('ix_ict_project_handler_id'))
        batch_op.drop_index(batch_op.f('ix_ict_project_customer_id'))

    op.drop_table('ict_project')
