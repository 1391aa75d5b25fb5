"""solutions: the library (industries, products, pieces and their published versions) and
proposals with their sections.

The plugin's own Alembic branch (label "solutions"), after the core revisions whose tables
(user, org_unit, customer) it references.

Revision ID: solutions_0001
Revises:
"""
from alembic import op
import sqlalchemy as sa


revision = "solutions_0001"
down_revision = None
branch_labels = ("solutions",)
depends_on = "0006_core_imports"


def upgrade():
    op.create_table('solutions_industry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_industry')),
    sa.UniqueConstraint('name', name=op.f('uq_solutions_industry_name'))
    )
    op.create_table('solutions_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('product_line', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_product')),
    sa.UniqueConstraint('code', name=op.f('uq_solutions_product_code'))
    )
    with op.batch_alter_table('solutions_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solutions_product_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_product_product_line'), ['product_line'], unique=False)

    op.create_table('solutions_product_industry',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['industry_id'], ['solutions_industry.id'], name=op.f('fk_solutions_product_industry_industry_id_solutions_industry')),
    sa.ForeignKeyConstraint(['product_id'], ['solutions_product.id'], name=op.f('fk_solutions_product_industry_product_id_solutions_product')),
    sa.PrimaryKeyConstraint('product_id', 'industry_id', name=op.f('pk_solutions_product_industry'))
    )
    op.create_table('solutions_piece',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('price_rows', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('published_number', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_solutions_piece_author_id_user')),
    sa.ForeignKeyConstraint(['industry_id'], ['solutions_industry.id'], name=op.f('fk_solutions_piece_industry_id_solutions_industry')),
    sa.ForeignKeyConstraint(['product_id'], ['solutions_product.id'], name=op.f('fk_solutions_piece_product_id_solutions_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_piece'))
    )
    with op.batch_alter_table('solutions_piece', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solutions_piece_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_piece_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_piece_state'), ['state'], unique=False)

    op.create_table('solutions_piece_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('piece_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('price_rows', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['industry_id'], ['solutions_industry.id'], name=op.f('fk_solutions_piece_version_industry_id_solutions_industry')),
    sa.ForeignKeyConstraint(['piece_id'], ['solutions_piece.id'], name=op.f('fk_solutions_piece_version_piece_id_solutions_piece')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_solutions_piece_version_published_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_piece_version')),
    sa.UniqueConstraint('piece_id', 'number', name=op.f('uq_solutions_piece_version_piece_id'))
    )
    with op.batch_alter_table('solutions_piece_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solutions_piece_version_piece_id'), ['piece_id'], unique=False)

    op.create_table('solutions_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('prospect_name', sa.String(length=200), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('job_key', sa.String(length=200), nullable=True),
    sa.Column('generated_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_solutions_proposal_customer_id_customer')),
    sa.ForeignKeyConstraint(['industry_id'], ['solutions_industry.id'], name=op.f('fk_solutions_proposal_industry_id_solutions_industry')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_solutions_proposal_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_solutions_proposal_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_proposal'))
    )
    with op.batch_alter_table('solutions_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solutions_proposal_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_proposal_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_proposal_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_proposal_owner_id'), ['owner_id'], unique=False)

    op.create_table('solutions_proposal_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('price_rows', sa.JSON(), nullable=False),
    sa.Column('source_versions', sa.JSON(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['solutions_product.id'], name=op.f('fk_solutions_proposal_section_product_id_solutions_product')),
    sa.ForeignKeyConstraint(['proposal_id'], ['solutions_proposal.id'], name=op.f('fk_solutions_proposal_section_proposal_id_solutions_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solutions_proposal_section'))
    )
    with op.batch_alter_table('solutions_proposal_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solutions_proposal_section_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solutions_proposal_section_proposal_id'), ['proposal_id'], unique=False)


def downgrade():
    with op.batch_alter_table('solutions_proposal_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_section_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_section_product_id'))
    op.drop_table('solutions_proposal_section')
    with op.batch_alter_table('solutions_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_owner_id'))
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_solutions_proposal_customer_id'))
    op.drop_table('solutions_proposal')
    with op.batch_alter_table('solutions_piece_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_piece_version_piece_id'))
    op.drop_table('solutions_piece_version')
    with op.batch_alter_table('solutions_piece', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_piece_state'))
        batch_op.drop_index(batch_op.f('ix_solutions_piece_published_at'))
        batch_op.drop_index(batch_op.f('ix_solutions_piece_product_id'))
    op.drop_table('solutions_piece')
    op.drop_table('solutions_product_industry')
    with op.batch_alter_table('solutions_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solutions_product_product_line'))
        batch_op.drop_index(batch_op.f('ix_solutions_product_name'))
    op.drop_table('solutions_product')
    op.drop_table('solutions_industry')
