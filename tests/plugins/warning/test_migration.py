"""The warning branch builds exactly the tables the models describe (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from workbench import create_app, database
from workbench.extensions import db

pytestmark = [pytest.mark.plugins("warning")]


def fresh_app(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": uri, "WORKBENCH_PLUGINS": ["warning"]})


def reset(app):
    with app.app_context():
        existing = MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)


def test_the_migration_builds_the_tables_the_models_describe(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    reset(app)
    database.upgrade(app)

    def warning_tables(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("warning_")

    try:
        with app.app_context(), db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": warning_tables})
            assert compare_metadata(context, db.metadata) == []
    finally:
        reset(app)
        with app.app_context():
            db.engine.dispose()
