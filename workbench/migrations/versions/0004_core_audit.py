"""core: audit history

Revision ID: 0004_core_audit
Revises: 0003_core_notify
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_core_audit'
down_revision = '0003_core_notify'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
