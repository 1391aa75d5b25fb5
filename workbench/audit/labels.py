"""Readable names for the history panel: what a record is called and what its fields mean.

A model's own ``__audit_label__`` / ``__audit_labels__`` win; these are the core's labels,
by audit key and by field name, which plugins' models get too when their fields share a
common name (``name``, ``status``, ``owner_id`` …). Anything else shows its field name.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MODEL_LABELS = {
    "customer": _l("Customer"),
    "customer_contact": _l("Contact"),
    "customer_member": _l("Member number"),
    "customer_link": _l("Group link"),
    "org_unit": _l("Unit"),
    "user": _l("User"),
    "role": _l("Role"),
    "todo_item": _l("To-do"),
}

FIELD_LABELS = {
    "active": _l("Active"),
    "address": _l("Address"),
    "archived": _l("Archived"),
    "assignee_unit_id": _l("Queued for unit"),
    "builtin": _l("Built-in"),
    "child_id": _l("Linked group"),
    "closed_at": _l("Closed at"),
    "closed_by_id": _l("Closed by"),
    "code": _l("Code"),
    "confirmed_at": _l("Confirmed at"),
    "created_by_id": _l("Created by"),
    "customer_id": _l("Customer"),
    "description": _l("Description"),
    "dispatch_id": _l("Dispatched task"),
    "display_name": _l("Display name"),
    "due_at": _l("Due"),
    "email": _l("E-mail"),
    "extra_permissions": _l("Extra permissions"),
    "fs_uniquifier": _l("Sign-in key"),
    "fs_webauthn_user_handle": _l("Security key handle"),
    "holder_name": _l("Holder"),
    "industry": _l("Industry"),
    "is_key": _l("Key contact"),
    "kind": _l("Kind"),
    "label": _l("Label"),
    "level": _l("Level"),
    "link": _l("Link"),
    "link_type": _l("Link type"),
    "locale": _l("Interface language"),
    "mf_recovery_codes": _l("Recovery codes"),
    "name": _l("Name"),
    "notes": _l("Notes"),
    "number": _l("Number"),
    "org_unit_id": _l("Unit"),
    "owner_id": _l("Owner"),
    "parent_id": _l("Parent"),
    "password": _l("Password"),
    "permissions": _l("Permissions"),
    "phone": _l("Phone"),
    "priority": _l("Priority"),
    "product": _l("Product"),
    "result_note": _l("Result note"),
    "roles": _l("Roles"),
    "scope_level": _l("Data scope"),
    "snoozed_until": _l("Snoozed until"),
    "sort_order": _l("Sort order"),
    "source_id": _l("Source record"),
    "source_type": _l("Source type"),
    "sso_subject": _l("Single sign-on identity"),
    "status": _l("Status"),
    "successor_id": _l("Successor"),
    "tf_phone_number": _l("Two-factor phone"),
    "tf_primary_method": _l("Two-factor method"),
    "tf_totp_secret": _l("Two-factor secret"),
    "title": _l("Title"),
    "us_phone_number": _l("Sign-in phone"),
    "us_totp_secrets": _l("One-time code secrets"),
    "username": _l("Username"),
}

# Where a common field name means something else for one core model.
MODEL_FIELD_LABELS = {
    "customer_contact": {"name": _l("Full name")},
    "customer_link": {"parent_id": _l("Parent group")},
    "org_unit": {"parent_id": _l("Parent unit")},
    "todo_item": {"title": _l("To-do title"), "owner_id": _l("Assignee")},
}


def model_label(model: type, key: str):
    return model.__audit_label__ or MODEL_LABELS.get(key) or key


def field_label(model: type, key: str, field: str):
    own = model.__audit_labels__ or {}
    if field in own:
        return own[field]
    return MODEL_FIELD_LABELS.get(key, {}).get(field) or FIELD_LABELS.get(field) or field
