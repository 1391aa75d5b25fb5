"""core: import jobs and exports

Revision ID: 0006_core_imports
Revises: 0005_core_search
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_core_imports'
down_revision = '0005_core_search'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
