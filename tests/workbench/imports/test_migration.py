"""The 0006 migration keeps the reasons of import runs recorded before it: each failed row of
the old JSON list becomes a row-error record, the runs count as finished, and a downgrade
puts the list back. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from workbench import create_app, database
from workbench.extensions import db


def fresh_app(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": uri})


def test_old_run_errors_move_to_row_error_records_and_back(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        database.upgrade(app, "0005_core_search")
        errors = [{"row": 3, "column": "客户级别", "value": "Z", "reason": "Level must be one of A, B, C, D."},
                  {"row": 3, "column": "行业", "value": "x", "reason": "Too long."},
                  {"row": 5, "column": "", "value": "", "reason": "The database refused this row."}]
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO import_run (id, kind, filename, source, total_rows, created, updated, unchanged, "
                "failed, errors, created_at, updated_at) VALUES (7, 'customers', '客户.xlsx', 'web', 4, 2, 0, 0, 2, "
                ":errors, '2024-03-05 08:00:00', '2024-03-05 08:00:01')"), {"errors": json.dumps(errors)})
        database.upgrade(app)
        with app.app_context(), db.engine.connect() as connection:
            run = connection.execute(text("SELECT state, rows_done, finished_at FROM import_run WHERE id = 7")).one()
            assert run.state == "done" and run.rows_done == 4 and run.finished_at is not None
            rows = connection.execute(text(
                "SELECT row_number, cells, problems FROM import_row_error WHERE run_id = 7 ORDER BY row_number")).all()
        assert [row.row_number for row in rows] == [3, 5]
        problems = [json.loads(row.problems) if isinstance(row.problems, str) else row.problems for row in rows]
        assert [p["title"] for p in problems[0]] == ["客户级别", "行业"] and rows[0].cells is None
        assert problems[1][0]["reason"] == "The database refused this row."

        with app.app_context():
            command.downgrade(database.alembic_config(app), "0005_core_search")
            with db.engine.connect() as connection:
                restored = connection.execute(text("SELECT errors FROM import_run WHERE id = 7")).scalar_one()
        restored = json.loads(restored) if isinstance(restored, str) else restored
        assert [(e["row"], e["column"]) for e in restored] == [(3, "客户级别"), (3, "行业"), (5, "")]
    finally:
        with app.app_context():
            db.drop_all()
            with db.engine.begin() as connection:
                for table in ("alembic_version", "import_row_error", "export_file"):
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            db.engine.dispose()
