"""core: the file store

One row per stored file (uploads and generated documents); the bytes live under
DATA_DIR/files/ab/cd/<storage_key>, outside the web root.

Revision ID: 0007_core_files
Revises: 0006_core_imports
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_core_files'
down_revision = '0006_core_imports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=32), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_stored_file_created_by_id_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_stored_file_storage_key')),
    sa.UniqueConstraint('token', name=op.f('uq_stored_file_token'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_stored_file_created_by_id'))
    op.drop_table('stored_file')
