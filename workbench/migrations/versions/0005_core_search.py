"""core: search index queue

Revision ID: 0005_core_search
Revises: 0004_core_audit
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_core_search'
down_revision = '0004_core_audit'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
