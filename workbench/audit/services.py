"""Reading the audit history: who may see a record's history, and its entries as readable rows.

A history is shown only to someone who can see the record itself: the record is loaded
through the scoped ORM query (the central data-scope rule), its parent record too when the
model declares one, and the model's permission is checked. Records that carry no scope
(users, roles, units) are shown to readers who see everything, or whose unit scope covers
the record's unit — the reach of a unit administrator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, and_, inspect, or_, select

from workbench.audit import labels
from workbench.audit.models import AuditEntry, Audited, audit_key, audited_models
from workbench.audit.recorder import MASK, plan_for
from workbench.errors import NotFound
from workbench.extensions import db
from workbench.org.models import OrgUnit
from workbench.org.scope import ScopedMixin

ENTRIES_PER_PAGE = 20
ACTION_LABELS = {"create": _l("created"), "update": _l("changed"), "delete": _l("deleted")}
# Reference fields whose target is shown by name: people and units are not scoped records,
# so naming them leaks nothing; other references show their id.
NAMED_REFERENCES = ("user", "org_unit")


def audited_model(key: str) -> type:
    """The Audited model of `key`, or NotFound."""
    model = audited_models().get(key)
    if model is None:
        raise NotFound(_l("There is no history of that kind of record."))
    return model


def _scoped_get(model: type, record_id: int):
    primary_key = inspect(model).primary_key[0]
    return db.session.execute(select(model).where(primary_key == record_id)).scalar_one_or_none()


def visible_record(model: type, record_id: int, viewer):
    """The record whose history `viewer` asks for, or None when they may not see it."""
    if model.__audit_permission__ and not viewer.can(model.__audit_permission__):
        return None
    record = _scoped_get(model, record_id)
    if record is None:
        return None
    plan = plan_for(model)
    if plan.parent_model is not None:
        parent_id = getattr(record, plan.parent_column)
        if parent_id is None:
            return None
        if issubclass(plan.parent_model, Audited):
            parent = visible_record(plan.parent_model, parent_id, viewer)
        else:
            parent = _scoped_get(plan.parent_model, parent_id)
        return record if parent is not None else None
    if isinstance(record, ScopedMixin) or _within_reach(record, viewer):
        return record
    return None


def _within_reach(record, viewer) -> bool:
    scope = viewer.scope
    if scope.sees_everything:
        return True
    if scope.level != "unit" or not scope.unit_path:
        return False
    if isinstance(record, OrgUnit):
        unit = record
    else:
        unit_id = getattr(record, "org_unit_id", None)
        unit = db.session.get(OrgUnit, unit_id) if unit_id else None
    return unit is not None and unit.path.startswith(scope.unit_path)


def record_kinds(model: type) -> list[tuple[str, object]]:
    """(key, label) of the kinds of record in `model`'s history: its own and its children's."""
    key = audit_key(model)
    kinds = [(key, labels.model_label(model, key))]
    for child_key, child in sorted(audited_models().items()):
        if child is not model and plan_for(child).parent_model is model:
            kinds.append((child_key, labels.model_label(child, child_key)))
    return kinds


def history_page(model: type, record_id: int, page: int = 1, kind: str | None = None,
                 per_page: int = ENTRIES_PER_PAGE):
    """A page of the record's history, newest first: its own entries and its children's."""
    key = audit_key(model)
    clause = or_(and_(AuditEntry.model_key == key, AuditEntry.record_id == record_id),
                 and_(AuditEntry.parent_key == key, AuditEntry.parent_id == record_id))
    if kind:
        clause = and_(clause, AuditEntry.model_key == kind)
    query = select(AuditEntry).where(clause).order_by(AuditEntry.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# --- presentation -------------------------------------------------------------------------------

@dataclass
class ChangeLine:
    label: object
    old: str
    new: str


@dataclass
class HistoryRow:
    entry: AuditEntry
    actor: str
    action: object
    record_label: object
    own: bool  # an entry of the record itself, not of one of its children
    lines: list[ChangeLine] = field(default_factory=list)


def _references(model: type) -> dict[str, str]:
    """{field: referenced table} for the fields that point at people or units."""
    found = {}
    for attr in inspect(model).column_attrs:
        for column in attr.columns:
            for foreign_key in column.foreign_keys:
                if foreign_key.column.table.name in NAMED_REFERENCES:
                    found[attr.key] = foreign_key.column.table.name
    return found


def _names(table: str, ids: set[int]) -> dict[int, str]:
    from workbench.auth.models import User

    if not ids:
        return {}
    if table == "user":
        rows = db.session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(ids)))
        return {row.id: row.display_name or row.username for row in rows}
    rows = db.session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _datetime_fields(model: type) -> set[str]:
    return {attr.key for attr in inspect(model).column_attrs if isinstance(attr.columns[0].type, DateTime)}


def _value_labels(model: type | None, field_name: str) -> dict | None:
    """The words for a field's coded values (`__audit_values__`), if the model gives them."""
    labels_of_field = (getattr(model, "__audit_values__", None) or {}).get(field_name) if model else None
    return labels_of_field() if callable(labels_of_field) else labels_of_field


def _shown(value, reference_names: dict[int, str] | None, is_datetime: bool, value_labels: dict | None = None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if value == MASK:
        return _("(hidden)")
    if value_labels and not isinstance(value, (list, dict)) and value in value_labels:
        return str(value_labels[value])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if reference_names is not None and isinstance(value, int):
        return reference_names.get(value, f"#{value}")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, str) and is_datetime:
        try:
            return format_datetime(datetime.fromisoformat(value).replace(tzinfo=timezone.utc), "short")
        except ValueError:
            return value
    return str(value)


def describe(entries: list[AuditEntry], model: type, record_id: int) -> list[HistoryRow]:
    """Entries as readable rows: labels, names instead of ids of people and units."""
    models = audited_models()
    own_key = audit_key(model)
    wanted: dict[str, set[int]] = {"user": {entry.actor_id for entry in entries if entry.actor_id}, "org_unit": set()}
    for entry in entries:
        references = _references(models[entry.model_key]) if entry.model_key in models else {}
        for field_name, change in entry.changes.items():
            table = references.get(field_name)
            if table:
                wanted[table].update(value for value in change if isinstance(value, int))
    names = {table: _names(table, ids) for table, ids in wanted.items()}
    rows = []
    for entry in entries:
        entry_model = models.get(entry.model_key)
        references = _references(entry_model) if entry_model else {}
        datetimes = _datetime_fields(entry_model) if entry_model else set()
        own = entry.model_key == own_key and entry.record_id == record_id
        # Under its parent's history a child's link to that parent goes without saying.
        implied = plan_for(entry_model).parent_column if entry_model and not own else None
        lines = []
        for field_name, (old, new) in entry.changes.items():
            if field_name == implied:
                continue
            reference_names = names.get(references.get(field_name, ""))
            label = labels.field_label(entry_model, entry.model_key, field_name) if entry_model else field_name
            is_datetime = field_name in datetimes
            value_labels = _value_labels(entry_model, field_name)
            lines.append(ChangeLine(label, _shown(old, reference_names, is_datetime, value_labels),
                                    _shown(new, reference_names, is_datetime, value_labels)))
        rows.append(HistoryRow(
            entry=entry,
            actor=names["user"].get(entry.actor_id, f"#{entry.actor_id}") if entry.actor_id else _("System"),
            action=ACTION_LABELS.get(entry.action, entry.action),
            record_label=labels.model_label(entry_model, entry.model_key) if entry_model else entry.model_key,
            own=own,
            lines=lines,
        ))
    return rows

