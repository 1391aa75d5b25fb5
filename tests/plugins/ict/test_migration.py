"""The ict branch of migrations builds exactly the tables the models describe."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workbench import create_app, database
from workbench.extensions import db

from tests.plugins.ict.helpers import PLUGINS

pytestmark = [pytest.mark.plugins(*PLUGINS)]


def test_the_migration_builds_the_tables_the_models_describe(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": uri, "WORKBENCH_PLUGINS": list(PLUGINS)})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.upgrade(app)

    def only_ict(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("ict_")

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": only_ict})
        differences = compare_metadata(context, db.metadata)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()
    assert differences == []
