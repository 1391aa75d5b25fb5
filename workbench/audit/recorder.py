"""Writes the audit history: a session listener turns every flushed change of an Audited
model into an AuditEntry row, in the same transaction as the change.

`after_flush` still sees what the flush wrote (the new, changed and deleted objects and each
attribute's history) and already knows the ids of new rows. The entries of one flush go in
as one multi-row INSERT on the flush's own connection, so a change and its history commit or
roll back together. Bulk UPDATE/DELETE statements bypass the ORM and so the history: change
audited records through the ORM.
"""
from __future__ import annotations

import base64
import decimal
import enum
import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from workbench.audit.actor import current_actor_id
from workbench.audit.models import AuditEntry, Audited, AuditHistoryIsAppendOnly, audit_key
from workbench.org.scope import ScopedMixin
from workbench.records import utcnow

MASK = "***"
# Bookkeeping every record has; recording it would bury the real changes.
ALWAYS_EXCLUDED = frozenset({"created_at", "updated_at", "version", "create_datetime", "update_datetime"})
# A field whose name contains one of these is never recorded with its value.
SENSITIVE_MARKERS = ("password", "secret", "token", "uniquifier", "recovery_code", "webauthn")
SUMMARY_LENGTH = 200


@dataclass(frozen=True)
class AuditPlan:
    """What to record of one model, worked out once per class."""

    key: str
    primary_key: str
    columns: tuple[str, ...]
    sensitive: frozenset[str]
    collections: tuple[str, ...]
    parent_key: str | None
    parent_column: str | None
    parent_model: type | None
    summary_fields: tuple[str, ...]


def is_sensitive(field_name: str, declared=()) -> bool:
    lowered = field_name.lower()
    return field_name in declared or any(marker in lowered for marker in SENSITIVE_MARKERS)


@functools.cache
def plan_for(model: type) -> AuditPlan:
    mapper = inspect(model)
    excluded = ALWAYS_EXCLUDED | set(model.__audit_exclude__)
    primary_keys = {column.key for column in mapper.primary_key}
    columns = tuple(attr.key for attr in mapper.column_attrs
                    if attr.key not in excluded and attr.key not in primary_keys)
    sensitive = frozenset(key for key in columns if is_sensitive(key, model.__audit_sensitive__))
    parent_key = parent_column = parent_model = None
    if model.__audit_parent__:
        parent_column = model.__audit_parent__
        [foreign_key] = list(mapper.columns[parent_column].foreign_keys)
        parent_model = _model_of_table(foreign_key.column.table.name)
        parent_key = audit_key(parent_model) if issubclass(parent_model, Audited) else parent_model.__tablename__
    if len(mapper.primary_key) != 1 or mapper.primary_key[0].type.python_type is not int:
        raise TypeError(f"{model.__name__} is Audited but has no single integer primary key")
    primary_key = mapper.get_property_by_column(mapper.primary_key[0]).key
    return AuditPlan(audit_key(model), primary_key, columns, sensitive, tuple(model.__audit_collections__),
                     parent_key, parent_column, parent_model, tuple(model.__audit_summary__))


def _model_of_table(table_name: str) -> type:
    from workbench.extensions import db

    for mapper in db.Model.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == table_name:
            return mapper.class_
    raise LookupError(f"no model is mapped to the table {table_name!r}")


def json_safe(value):
    """A value the JSON column can hold and a reader can understand."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(item) for item in value), key=str)
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return str(value)


def _recorded(plan: AuditPlan, key: str, value):
    if plan.sensitive and key in plan.sensitive:
        return None if value is None else MASK
    return json_safe(value)


def _related_name(record) -> str:
    for attribute in ("name", "label", "title", "username", "code"):
        value = getattr(record, attribute, None)
        if isinstance(value, str) and value:
            return value
    return str(inspect(record).identity[0]) if inspect(record).identity else str(record)


def _blank(value) -> bool:
    """Nothing worth listing among a new or deleted record's values."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _summary(plan: AuditPlan, values: dict) -> str:
    for name in plan.summary_fields:
        value = values.get(name)
        if value not in (None, ""):
            return str(value)[:SUMMARY_LENGTH]
    return ""


def _created(plan: AuditPlan, state) -> dict:
    changes = {}
    for key in plan.columns:
        value = state.dict.get(key)
        if not _blank(value):
            changes[key] = [None, _recorded(plan, key, value)]
    for key in plan.collections:
        added = sorted(_related_name(record) for record in state.attrs[key].history.added)
        if added:
            changes[key] = [[], added]
    return changes


def _updated(plan: AuditPlan, state) -> dict:
    changes = {}
    for key in plan.columns:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        changes[key] = [_recorded(plan, key, old), _recorded(plan, key, new)]
    for key in plan.collections:
        history = state.attrs[key].history
        if not (history.added or history.deleted):
            continue
        kept = [_related_name(record) for record in history.unchanged]
        old = sorted(kept + [_related_name(record) for record in history.deleted])
        new = sorted(kept + [_related_name(record) for record in history.added])
        if old != new:
            changes[key] = [old, new]
    return changes


def _deleted(plan: AuditPlan, state) -> dict:
    # Only what is loaded: a deleted row cannot be read back in the middle of a flush.
    return {key: [_recorded(plan, key, state.dict[key]), None]
            for key in plan.columns if not _blank(state.dict.get(key))}


def _entries_of(session: Session) -> list[tuple[object, AuditPlan, dict]]:
    """(record, plan, entry values) for every audited change of this flush."""
    found = []
    for action, records in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for record in records:
            if not isinstance(record, Audited):
                continue
            plan = plan_for(type(record))
            state = inspect(record)
            if action == "create":
                changes = _created(plan, state)
            elif action == "update":
                changes = _updated(plan, state)
                if not changes:
                    continue  # touched, but nothing recorded changed
            else:
                changes = _deleted(plan, state)
            found.append((record, plan, {
                # New rows have their id by now, but not yet their identity key.
                "model_key": plan.key, "record_id": state.dict.get(plan.primary_key),
                "action": action, "changes": changes, "summary": _summary(plan, state.dict),
                "parent_key": plan.parent_key,
                "parent_id": state.dict.get(plan.parent_column) if plan.parent_column else None,
            }))
    return found


def _parent_scopes(session: Session, found) -> dict[tuple[type, int], tuple]:
    """(org_unit_id, owner_id) of the scoped parents of this flush's entries: from the
    session when loaded, else one query per parent model."""
    wanted: dict[type, set[int]] = {}
    scopes = {}
    for _record, plan, values in found:
        parent_id = values["parent_id"]
        if parent_id is None or plan.parent_model is None or not issubclass(plan.parent_model, ScopedMixin):
            continue
        key = inspect(plan.parent_model).identity_key_from_primary_key((parent_id,))
        parent = session.identity_map.get(key)
        if parent is not None and "org_unit_id" in inspect(parent).dict:
            scopes[(plan.parent_model, parent_id)] = (parent.org_unit_id, parent.owner_id)
        else:
            wanted.setdefault(plan.parent_model, set()).add(parent_id)
    for model, ids in wanted.items():
        # A Core statement on the flush's connection: no scope rule (this is bookkeeping,
        # not a read on anyone's behalf) and no autoflush in the middle of a flush.
        rows = session.connection().execute(
            select(model.__table__.c.id, model.__table__.c.org_unit_id, model.__table__.c.owner_id)
            .where(model.__table__.c.id.in_(ids))
        )
        for row in rows:
            scopes[(model, row.id)] = (row.org_unit_id, row.owner_id)
    return scopes


def _record_flush(session: Session, _flush_context) -> None:
    found = _entries_of(session)
    if not found:
        return
    parent_scopes = _parent_scopes(session, found)
    actor_id, now = current_actor_id(), utcnow()
    rows = []
    for record, plan, values in found:
        if isinstance(record, ScopedMixin):
            unit_id, owner_id = inspect(record).dict.get("org_unit_id"), inspect(record).dict.get("owner_id")
        else:
            unit_id, owner_id = parent_scopes.get((plan.parent_model, values["parent_id"]), (None, None))
        rows.append({**values, "actor_id": actor_id, "at": now, "org_unit_id": unit_id, "owner_id": owner_id})
    session.connection().execute(AuditEntry.__table__.insert(), rows)


def _refuse_bulk_changes(execute_state) -> None:
    if not (execute_state.is_update or execute_state.is_delete):
        return
    mapper = execute_state.bind_mapper
    if mapper is not None and mapper.class_ is AuditEntry:
        raise AuditHistoryIsAppendOnly("audit entries cannot be changed or deleted: the history is append-only")


def install_recorder() -> None:
    """Register the session listeners once per process (they apply to every Session)."""
    if not event.contains(Session, "after_flush", _record_flush):
        event.listen(Session, "after_flush", _record_flush)
        event.listen(Session, "do_orm_execute", _refuse_bulk_changes)
