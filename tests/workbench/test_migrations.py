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


def test_the_roles_users_index_migration_keeps_one_of_duplicate_links(database_url, tmp_path):
    """A database from before 0008 may link a role to a person twice; the upgrade keeps one
    link and then refuses a second."""
    import pytest
    from sqlalchemy import exc

    app = fresh_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.upgrade(app, "0007_core_files")
    with app.app_context(), db.engine.begin() as conn:
        tables = db.metadata.tables

        def add(table, **values) -> int:
            return conn.execute(tables[table].insert().values(_filled(tables[table], **values))
                                .returning(tables[table].c.id)).scalar_one()

        unit = add("org_unit", path="/1/")
        first, second = add("role", name="migration_test_a"), add("role", name="migration_test_b")
        person = add("user", username="am1", org_unit_id=unit, fs_uniquifier="u1", email="am1@example.com")
        conn.exec_driver_sql(f"INSERT INTO roles_users (user_id, role_id) VALUES ({person}, {first}), "
                             f"({person}, {first}), ({person}, {second})")
    database.upgrade(app)
    with app.app_context():
        with db.engine.connect() as conn:
            links = conn.exec_driver_sql(f"SELECT user_id, role_id FROM roles_users WHERE user_id = {person} "
                                         "ORDER BY role_id").all()
        assert [tuple(link) for link in links] == [(person, first), (person, second)]
        with pytest.raises(exc.IntegrityError), db.engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO roles_users (user_id, role_id) VALUES ({person}, {second})")
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


def _filled(table, **values) -> dict:
    """`values` plus a plain value for every other NOT NULL column without a default."""
    from datetime import datetime

    from sqlalchemy import JSON, Boolean, DateTime, Integer, Numeric

    for column in table.columns:
        if column.name in values or column.nullable or column.default is not None \
                or column.server_default is not None or column.primary_key:
            continue
        kind = column.type
        values[column.name] = (False if isinstance(kind, Boolean) else 0 if isinstance(kind, (Integer, Numeric))
                               else datetime(2026, 1, 1) if isinstance(kind, DateTime)
                               else [] if isinstance(kind, JSON) else f"{column.name}-{values.get('id', 0)}")
    return values


def test_a_role_given_twice_is_linked_once(app, world):
    from workbench.auth import services as auth_services
    from workbench.auth.models import Role

    lead_role = db.session.execute(db.select(Role).where(Role.name == "lead")).scalar_one()
    auth_services.set_roles(world.admin, world.am1, [lead_role, lead_role])
    db.session.commit()
    assert [role.name for role in world.am1.roles] == ["lead"]
