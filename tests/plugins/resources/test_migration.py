"""The resources branch builds exactly the tables the models describe (SQLite and PostgreSQL),
after the core's file store, with the ledger's append-only triggers."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text

from workbench import create_app, database
from workbench.extensions import db

pytestmark = [pytest.mark.plugins("resources")]


def fresh_app(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": uri, "WORKBENCH_PLUGINS": ["resources"]})


def reset(app):
    with app.app_context():
        existing = MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)


def test_the_migration_builds_the_tables_the_models_describe(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    reset(app)
    database.upgrade(app)

    def resources_tables(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("resources_")

    try:
        with app.app_context(), db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": resources_tables})
            assert compare_metadata(context, db.metadata) == []
            connection.rollback()
            now = "2026-11-23 08:00:00"
            for statement in (
                "INSERT INTO resources_type (id, code, name, description, steps, active, created_at, updated_at, "
                f"version) VALUES (1, 'T', 'T', '', '[]', true, '{now}', '{now}', 1)",
                "INSERT INTO resources_item (id, code, name, type_id, measure, unit_value, description, pinyin, "
                f"active, created_at, updated_at, version) VALUES (1, 'I', 'I', 1, 'x', 1, '', '', true, '{now}', "
                f"'{now}', 1)",
                "INSERT INTO org_unit (id, code, name, level, path, active, sort_order, created_at, updated_at) "
                f"VALUES (1, 'P', 'P', 'province', '/1/', true, 0, '{now}', '{now}')",
                "INSERT INTO resources_stock (id, item_id, on_hand, reserved, low_threshold, org_unit_id, "
                f"created_at, updated_at) VALUES (1, 1, 1, 0, 0, 1, '{now}', '{now}')",
                "INSERT INTO resources_stock_entry (id, stock_id, kind, on_hand_delta, reserved_delta, "
                f"on_hand_after, reserved_after, reason, at) VALUES (1, 1, 'in', 1, 0, 1, 0, 'r', '{now}')",
            ):
                connection.execute(text(statement))
            connection.commit()
            for statement in ("UPDATE resources_stock_entry SET reason = 'x'", "DELETE FROM resources_stock_entry"):
                with pytest.raises(Exception, match="append-only"):
                    connection.execute(text(statement))
                connection.rollback()
    finally:
        reset(app)
        with app.app_context():
            db.engine.dispose()
