"""The audit history table and the `Audited` marker that puts a model's changes into it.

Each AuditEntry says who (actor_id) changed which record (model_key, record_id) when (at),
how (create / update / delete) and which fields from what to what (changes: {field: [old,
new]}). Rows are only ever inserted: the ORM refuses to update or delete them, and so does
the database (triggers created with the table, by `create_all` and by the migration alike).
No column is a foreign key: the history outlives the users and records it mentions.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, DateTime, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from workbench.extensions import db
from workbench.records import utcnow

ACTIONS = ("create", "update", "delete")


class AuditHistoryIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit entry."""


class Audited:
    """Mix into a model to record every change of its rows in the audit history.

    Optional class attributes (all have defaults):

    * ``__audit_key__``: the key in the history and in ``/audit/<key>/<id>`` (the table name);
    * ``__audit_label__``: what one record is called on screen (a lazy string);
    * ``__audit_labels__``: ``{field: label}`` for the history panel (else a core label or the
      field name);
    * ``__audit_values__``: ``{field: {stored value: label}}`` so coded values read as words
      ("handled" → 已处理); a callable returning such a dict is resolved when the history is
      shown (for labels kept in a module that imports the model);
    * ``__audit_exclude__``: fields not recorded at all (noise such as counters);
    * ``__audit_sensitive__``: fields recorded as changed but never with their values
      (names containing password, secret, token … are always treated so);
    * ``__audit_collections__``: many-to-many relationships recorded by the names of the
      related records (``User.roles``);
    * ``__audit_parent__``: a foreign-key field naming the record whose history also shows
      this record's changes, and whose visibility decides who may read them (a contact's
      ``customer_id``);
    * ``__audit_permission__``: a permission the reader of the history must also hold;
    * ``__audit_summary__``: fields tried in turn for the record's short description.
    """

    __audit_key__: str | None = None
    __audit_label__ = None
    __audit_labels__: dict = {}
    __audit_values__: dict = {}
    __audit_exclude__: tuple[str, ...] = ()
    __audit_sensitive__: tuple[str, ...] = ()
    __audit_collections__: tuple[str, ...] = ()
    __audit_parent__: str | None = None
    __audit_permission__: str | None = None
    __audit_summary__: tuple[str, ...] = ("name", "title", "display_name", "username", "number", "code")


def audit_key(model: type) -> str:
    return model.__audit_key__ or model.__tablename__


_audited_cache: tuple[int, dict[str, type]] = (-1, {})


def audited_models() -> dict[str, type]:
    """{audit key: model} of every mapped Audited model (cached until new models are mapped)."""
    global _audited_cache
    mappers = db.Model.registry.mappers
    if _audited_cache[0] != len(mappers):
        _audited_cache = (len(mappers), {
            audit_key(mapper.class_): mapper.class_ for mapper in mappers if issubclass(mapper.class_, Audited)
        })
    return _audited_cache[1]


class AuditEntry(db.Model):
    """One change of one record. Written by workbench.audit.recorder in the transaction of
    the change itself, so a rolled-back change leaves no entry."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # The record whose history also lists this entry (a contact's customer), if any.
    parent_key: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    # None: the system (a job or command acting for nobody).
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # The record's (or its parent's) org unit and owner at the time, so lists of changes
    # across records can be filtered by the data scope without joining every record table.
    org_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (
        Index("ix_audit_entry_record", "model_key", "record_id", "id"),
        Index("ix_audit_entry_parent", "parent_key", "parent_id", "id"),
        Index("ix_audit_entry_actor_at", "actor_id", "at"),
    )


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper, _connection, entry) -> None:
    raise AuditHistoryIsAppendOnly(f"audit entry {entry.id} cannot be changed: the history is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper, _connection, entry) -> None:
    raise AuditHistoryIsAppendOnly(f"audit entry {entry.id} cannot be deleted: the history is append-only")


# The database refuses too, so neither a bulk statement, a raw connection nor a psql session
# can rewrite history. The migration 0004_core_audit creates the same triggers.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()",
)

for _statement in SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
