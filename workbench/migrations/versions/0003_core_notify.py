"""core: notifications, announcements, bulk SMS

Revision ID: 0003_core_notify
Revises: 0002_core_jobs
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_core_notify'
down_revision = '0002_core_jobs'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
