"""knowledge: initial tables (categories, tags, articles, versions, contexts, attachments,
ratings, comments, imports).

The plugin's own Alembic branch (label "knowledge"); it references the core's user, org_unit
and customer tables.

Revision ID: knowledge_0001
Revises:
"""
from alembic import op
import sqlalchemy as sa


revision = "knowledge_0001"
down_revision = None
branch_labels = ("knowledge",)
depends_on = "0006_core_imports"


def upgrade():
    op.create_table('knowledge_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['knowledge_category.id'], name=op.f('fk_knowledge_category_parent_id_knowledge_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_category'))
    )
    with op.batch_alter_table('knowledge_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_category_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_category_space'), ['space'], unique=False)

    op.create_table('knowledge_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_tag')),
    sa.UniqueConstraint('name', name=op.f('uq_knowledge_tag_name'))
    )
    op.create_table('knowledge_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=True),
    sa.Column('space', sa.String(length=20), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['knowledge_category.id'], name=op.f('fk_knowledge_import_category_id_knowledge_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_knowledge_import_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_import'))
    )
    with op.batch_alter_table('knowledge_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_import_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('knowledge_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('space', sa.String(length=20), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('published_title', sa.String(length=200), nullable=True),
    sa.Column('published_html', sa.Text(), nullable=True),
    sa.Column('published_text', sa.Text(), nullable=True),
    sa.Column('published_revision', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('first_published_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.Column('useful_count', sa.Integer(), nullable=False),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['knowledge_category.id'], name=op.f('fk_knowledge_article_category_id_knowledge_category')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_knowledge_article_customer_id_customer')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_knowledge_article_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_knowledge_article_owner_id_user')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_knowledge_article_reviewer_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_article'))
    )
    with op.batch_alter_table('knowledge_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_article_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_first_published_at'), ['first_published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_space'), ['space'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_useful_count'), ['useful_count'], unique=False)

    op.create_table('knowledge_article_context',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('context_key', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_article_context_article_id_knowledge_article'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_article_context')),
    sa.UniqueConstraint('article_id', 'context_key', name=op.f('uq_knowledge_article_context_article_id'))
    )
    with op.batch_alter_table('knowledge_article_context', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_article_context_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_article_context_context_key'), ['context_key'], unique=False)

    op.create_table('knowledge_article_tag',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_article_tag_article_id_knowledge_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['knowledge_tag.id'], name=op.f('fk_knowledge_article_tag_tag_id_knowledge_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'tag_id', name=op.f('pk_knowledge_article_tag'))
    )
    op.create_table('knowledge_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_attachment_article_id_knowledge_article')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_knowledge_attachment_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_attachment')),
    sa.UniqueConstraint('token', name=op.f('uq_knowledge_attachment_token'))
    )
    with op.batch_alter_table('knowledge_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_attachment_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_attachment_stored_file_id'), ['stored_file_id'], unique=False)

    op.create_table('knowledge_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_comment_article_id_knowledge_article')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_knowledge_comment_author_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_comment'))
    )
    with op.batch_alter_table('knowledge_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_comment_article_id'), ['article_id'], unique=False)

    op.create_table('knowledge_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_rating_article_id_knowledge_article')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_knowledge_rating_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_rating')),
    sa.UniqueConstraint('article_id', 'user_id', name=op.f('uq_knowledge_rating_article_id'))
    )
    with op.batch_alter_table('knowledge_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_rating_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_rating_user_id'), ['user_id'], unique=False)

    op.create_table('knowledge_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_knowledge_revision_approved_by_id_user')),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_article.id'], name=op.f('fk_knowledge_revision_article_id_knowledge_article')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_knowledge_revision_author_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_revision')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_knowledge_revision_article_id'))
    )
    with op.batch_alter_table('knowledge_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_revision_article_id'), ['article_id'], unique=False)



def downgrade():
    with op.batch_alter_table('knowledge_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_revision_article_id'))

    op.drop_table('knowledge_revision')
    with op.batch_alter_table('knowledge_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_rating_user_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_rating_article_id'))

    op.drop_table('knowledge_rating')
    with op.batch_alter_table('knowledge_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_comment_article_id'))

    op.drop_table('knowledge_comment')
    with op.batch_alter_table('knowledge_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_attachment_stored_file_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_attachment_article_id'))

    op.drop_table('knowledge_attachment')
    op.drop_table('knowledge_article_tag')
    with op.batch_alter_table('knowledge_article_context', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_article_context_context_key'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_context_article_id'))

    op.drop_table('knowledge_article_context')
    with op.batch_alter_table('knowledge_article', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_article_useful_count'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_status'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_space'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_published_at'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_owner_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_first_published_at'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_customer_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_article_category_id'))

    op.drop_table('knowledge_article')
    with op.batch_alter_table('knowledge_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_import_created_by_id'))

    op.drop_table('knowledge_import')
    op.drop_table('knowledge_tag')
    with op.batch_alter_table('knowledge_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_category_space'))
        batch_op.drop_index(batch_op.f('ix_knowledge_category_parent_id'))

    op.drop_table('knowledge_category')
