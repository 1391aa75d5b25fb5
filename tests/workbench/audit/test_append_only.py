"""The audit history is append-only: the ORM refuses to change or delete an entry, and so
does the database itself — with the triggers of create_all and of the migration alike."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.support.factories import make_customer
from workbench import create_app, database
from workbench.audit.models import AuditEntry, AuditHistoryIsAppendOnly
from workbench.extensions import db


@pytest.fixture
def entry(world):
    make_customer(world.am1, name="Recorded")
    db.session.commit()
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()


def test_the_orm_refuses_to_change_an_entry(entry):
    entry.summary = "rewritten"
    with pytest.raises(AuditHistoryIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_the_orm_refuses_to_delete_an_entry(entry):
    db.session.delete(entry)
    with pytest.raises(AuditHistoryIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    update(AuditEntry).values(summary="rewritten"),
    delete(AuditEntry),
], ids=["update", "delete"])
def test_the_orm_refuses_bulk_statements_on_the_history(entry, statement):
    with pytest.raises(AuditHistoryIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entry SET summary = 'rewritten'",
    "DELETE FROM audit_entry",
], ids=["update", "delete"])
def test_the_database_refuses_to_change_or_delete_entries(entry, sql):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(sql))
    assert db.session.get(AuditEntry, entry.id).summary == "Recorded"


def test_the_migration_installs_the_same_triggers(database_url, tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}" if database_url == "sqlite" else database_url
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.upgrade(app)
    try:
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO audit_entry (model_key, record_id, action, at, changes, summary) "
                    "VALUES ('customer', 1, 'create', CURRENT_TIMESTAMP, '{}', 'migrated')"))
            for sql in ("UPDATE audit_entry SET summary = 'rewritten'", "DELETE FROM audit_entry"):
                with pytest.raises(DBAPIError, match="append-only"):
                    with db.engine.begin() as connection:
                        connection.execute(text(sql))
    finally:
        with app.app_context():
            db.drop_all()
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.engine.dispose()
