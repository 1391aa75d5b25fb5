"""core: import jobs and exports

Import runs become background jobs (state, stored upload, confirmed column mapping,
checkpoint); the rows a run could not import move from a JSON list on the run to their own
table (with the original cells); background exports get their table.

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


def _runs_with_errors():
    return sa.table('import_run', sa.column('id', sa.Integer()), sa.column('errors', sa.JSON()))


def _row_errors():
    return sa.table('import_row_error', sa.column('run_id', sa.Integer()), sa.column('row_number', sa.Integer()),
                    sa.column('cells', sa.JSON(none_as_null=True)), sa.column('problems', sa.JSON()))


def upgrade():
    op.create_table('import_row_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['import_run.id'], name=op.f('fk_import_row_error_run_id_import_run'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_error'))
    )
    with op.batch_alter_table('import_row_error', schema=None) as batch_op:
        batch_op.create_index('ix_import_row_error_run_row', ['run_id', 'row_number'], unique=False)

    op.create_table('export_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('job_key', sa.String(length=160), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=1000), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_export_file_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_file'))
    )
    with op.batch_alter_table('export_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_file_user_id'), ['user_id'], unique=False)

    # Read the reasons of earlier runs first: on SQLite the batch operation below rebuilds
    # import_run, and dropping the old copy (foreign keys on) would cascade to new rows.
    connection = op.get_bind()
    copied = []
    runs = _runs_with_errors()
    for run_id, errors in connection.execute(sa.select(runs.c.id, runs.c.errors)):
        by_row = {}
        for error in errors or []:
            by_row.setdefault(error.get('row') or 0, []).append({
                'column': None, 'index': None, 'title': error.get('column', ''),
                'value': error.get('value', ''), 'reason': error.get('reason', ''),
            })
        copied.extend({'run_id': run_id, 'row_number': row, 'cells': None, 'problems': problems}
                      for row, problems in sorted(by_row.items()))

    # Runs recorded so far finished in the request that started them: they are "done".
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=32), type_=sa.String(length=64),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('stored_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('job_key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('header_row', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('mapping', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('rows_done', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('message', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.drop_column('errors')

    connection.execute(sa.text("UPDATE import_run SET rows_done = total_rows, finished_at = updated_at"))
    if copied:
        op.bulk_insert(_row_errors(), copied)


def downgrade():
    connection = op.get_bind()
    row_errors = _row_errors()
    flattened = {}
    for run_id, row_number, problems in connection.execute(
            sa.select(row_errors.c.run_id, row_errors.c.row_number, row_errors.c.problems)
            .order_by(row_errors.c.run_id, row_errors.c.row_number)):
        flattened.setdefault(run_id, []).extend(
            {'row': row_number, 'column': problem.get('title', ''), 'value': problem.get('value', ''),
             'reason': problem.get('reason', '')} for problem in problems or [])

    with op.batch_alter_table('export_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_file_user_id'))
    op.drop_table('export_file')
    with op.batch_alter_table('import_row_error', schema=None) as batch_op:
        batch_op.drop_index('ix_import_row_error_run_row')
    op.drop_table('import_row_error')

    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('errors', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.drop_column('finished_at')
        batch_op.drop_column('message')
        batch_op.drop_column('rows_done')
        batch_op.drop_column('mapping')
        batch_op.drop_column('headers')
        batch_op.drop_column('header_row')
        batch_op.drop_column('job_key')
        batch_op.drop_column('state')
        batch_op.drop_column('stored_name')
        batch_op.alter_column('kind', existing_type=sa.String(length=64), type_=sa.String(length=32),
                              existing_nullable=False)

    runs = _runs_with_errors()
    for run_id, errors in flattened.items():
        connection.execute(sa.update(runs).where(runs.c.id == run_id).values(errors=errors))
