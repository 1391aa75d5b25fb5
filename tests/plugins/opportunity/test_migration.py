"""The opportunity branch builds exactly the tables the models describe (SQLite and
PostgreSQL) and ships the category catalogue."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, func, select

from workbench import create_app, database
from workbench.extensions import db

pytestmark = [pytest.mark.plugins("opportunity")]


def fresh_app(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": uri, "WORKBENCH_PLUGINS": ["opportunity"]})


def reset(app):
    with app.app_context():
        # every table there is (also ones a migration made that no loaded model describes)
        existing = MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)


def test_the_migration_builds_the_tables_the_models_describe_with_the_catalogue(database_url, tmp_path):
    app = fresh_app(database_url, tmp_path)
    reset(app)
    database.upgrade(app)

    def only_this_plugin(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("opportunity_")

    try:
        with app.app_context(), db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": only_this_plugin})
            assert compare_metadata(context, db.metadata) == []
            from plugins.opportunity.models import Category

            assert connection.execute(select(func.count()).select_from(Category.__table__)).scalar_one() == 19
            parents = connection.execute(select(Category.__table__.c.code).where(
                Category.__table__.c.parent_id.is_not(None))).scalars().all()
            assert "leased_line_internet" in parents
    finally:
        reset(app)
        with app.app_context():
            db.engine.dispose()
