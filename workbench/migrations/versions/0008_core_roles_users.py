"""core: a unique index on the user–role links

Flask-Security's `roles_users` table had no key and no index, so loading a signed-in user
with their roles scanned the whole table on every request. Duplicate links (the same role
twice for one person, which mean nothing more than one) are removed first, keeping one.

Revision ID: 0008_core_roles_users
Revises: 0007_core_files
Create Date: 2026-11-23
"""
from alembic import op


revision = '0008_core_roles_users'
down_revision = '0007_core_files'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM roles_users a USING roles_users b "
                   "WHERE a.ctid > b.ctid AND a.user_id = b.user_id AND a.role_id = b.role_id")
    else:
        op.execute("DELETE FROM roles_users WHERE rowid NOT IN "
                   "(SELECT min(rowid) FROM roles_users GROUP BY user_id, role_id)")
    with op.batch_alter_table('roles_users', schema=None) as batch_op:
        batch_op.create_index('uq_roles_users_user_id_role_id', ['user_id', 'role_id'], unique=True)


def downgrade():
    with op.batch_alter_table('roles_users', schema=None) as batch_op:
        batch_op.drop_index('uq_roles_users_user_id_role_id')
