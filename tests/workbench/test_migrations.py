"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and `workbench db upgrade` is repeatable."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workbench import create_app, database
from workbench.extensions import db


def fresh_app(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": uri})


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, db.metadata)]


def test_upgrade_to_heads_matches_the_models_and_can_run_twice(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.upgrade(app)
    database.upgrade(app)
    assert schema_differences(app) == []
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


def test_the_core_and_each_plugin_with_migrations_have_exactly_one_head(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    locations = database.alembic_config(app).get_main_option("version_locations").split()
    assert len(database.current_heads(app)) == len(locations)
