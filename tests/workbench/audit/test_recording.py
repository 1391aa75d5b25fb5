"""Every change of an audited core model is recorded in the same transaction: who, when,
create / update / delete, and which fields went from what to what. Sensitive fields never
reach the history; a rolled-back change leaves no entry."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_customer, make_todo, make_unit, make_user
from workbench.admin import services as admin
from workbench.audit.actor import acting_user
from workbench.audit.models import AuditEntry
from workbench.audit.recorder import MASK, json_safe
from workbench.auth.models import Role, User
from workbench.customers import services as customers
from workbench.customers.models import CustomerContact, CustomerMember
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.org.scope import acting_as, system_scope
from workbench.records import utcnow


def history(model_key: str, record_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.model_key == model_key, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.id)
    ).scalars().all()


def entry_count() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_creating_a_customer_records_who_when_and_every_value(world):
    before = utcnow()
    with acting_as(world.lead.scope):
        customer = customers.create_customer(world.lead, code="K1", owner=world.am1, name="江城一中",
                                             industry="教育")
    db.session.commit()
    [entry] = history("customer", customer.id)
    assert (entry.action, entry.actor_id, entry.summary) == ("create", world.lead.id, "江城一中")
    assert before <= entry.at <= utcnow()
    assert entry.changes["name"] == [None, "江城一中"] and entry.changes["industry"] == [None, "教育"]
    assert entry.changes["owner_id"] == [None, world.am1.id]
    assert (entry.org_unit_id, entry.owner_id) == (world.grid1.id, world.am1.id)
    assert not {"created_at", "updated_at", "version"} & set(entry.changes)


def test_updating_a_customer_records_only_the_changed_fields_from_old_to_new(world):
    customer = world.customers["am1"]
    with acting_as(world.am1.scope):  # the actor is whoever acts when the change is flushed
        customers.update_customer(world.am1, customer, {"name": customer.name, "level": "A", "address": "学院路 1 号"},
                                  customer.version)
        db.session.commit()
    entry = history("customer", customer.id)[-1]
    assert (entry.action, entry.actor_id) == ("update", world.am1.id)
    assert entry.changes == {"level": ["C", "A"], "address": ["", "学院路 1 号"]}


def test_saving_a_record_without_a_real_change_records_nothing(world):
    customer = world.customers["am1"]
    before = entry_count()
    with acting_as(world.am1.scope):
        customers.update_customer(world.am1, customer, {"name": customer.name, "level": customer.level},
                                  customer.version)
    db.session.commit()
    assert entry_count() == before


def test_a_contact_s_changes_are_recorded_under_its_customer_with_the_customer_s_scope(world):
    customer = world.customers["am1"]
    with acting_as(world.am1.scope):
        contact = customers.add_contact(world.am1, customer, name="张三", phone="13900000001")
        db.session.commit()
    contact_id, customer_id, grid1_id, am1_id = contact.id, customer.id, world.grid1.id, world.am1.id
    db.session.expunge_all()  # the customer is not in the session: its scope is read from the table
    with acting_user(am1_id), system_scope():
        contact = db.session.get(CustomerContact, contact_id)
        contact.phone = "13900000002"
        db.session.commit()
        db.session.delete(db.session.get(CustomerContact, contact_id))
        db.session.commit()
    created, updated, deleted = history("customer_contact", contact_id)
    assert [created.action, updated.action, deleted.action] == ["create", "update", "delete"]
    assert updated.changes == {"phone": ["13900000001", "13900000002"]}
    assert deleted.changes["name"] == ["张三", None] and deleted.summary == "张三"
    for entry in (created, updated, deleted):
        assert (entry.parent_key, entry.parent_id) == ("customer", customer_id)
        assert (entry.org_unit_id, entry.owner_id, entry.actor_id) == (grid1_id, am1_id, am1_id)


def test_member_numbers_and_group_links_are_recorded_under_their_customer(world):
    parent, child = world.customers["am1"], world.customers["am2"]
    with system_scope():
        db.session.add(CustomerMember(customer_id=parent.id, number="13900000009", holder_name="李四"))
        link = customers.link_customers(world.admin, parent, child, "natural")
    db.session.commit()
    [member] = db.session.execute(select(AuditEntry).where(AuditEntry.model_key == "customer_member")).scalars().all()
    [linked] = history("customer_link", link.id)
    assert (member.parent_key, member.parent_id, member.summary) == ("customer", parent.id, "13900000009")
    assert (linked.parent_key, linked.parent_id) == ("customer", parent.id)
    assert linked.changes["child_id"] == [None, child.id] and linked.changes["link_type"] == [None, "natural"]


def test_role_changes_of_a_user_are_recorded_by_role_name(world):
    user = make_user("account_manager", world.grid1)
    db.session.commit()
    lead_role = db.session.execute(select(Role).where(Role.name == "lead")).scalar_one()
    with acting_as(world.admin.scope):
        admin.update_user(world.admin, user, snapshot=admin.user_snapshot(user), display_name="新名字", email=None,
                          phone=None, unit=world.grid1, roles=[lead_role], extra_permissions=["customers.export"],
                          active=True)
        db.session.commit()
    entry = history("user", user.id)[-1]
    assert entry.actor_id == world.admin.id
    assert entry.changes["roles"] == [["account_manager"], ["lead"]]
    assert entry.changes["display_name"][1] == "新名字"
    assert entry.changes["extra_permissions"] == [[], ["customers.export"]]


def test_creating_a_user_records_the_roles_given(world):
    user = make_user(["lead", "account_manager"], world.county, username="newlead")
    db.session.commit()
    [entry] = history("user", user.id)
    assert entry.action == "create" and entry.changes["roles"] == [[], ["account_manager", "lead"]]


def test_sensitive_fields_are_recorded_as_changed_but_never_with_their_values(world):
    user = make_user("account_manager", world.grid1)
    db.session.commit()
    with acting_as(world.admin.scope):
        admin.reset_password(world.admin, user, "a much better password 2024")
        db.session.commit()
    with system_scope():
        user.tf_totp_secret = "JBSWY3DPEHPK3PXP-secret"
        user.tf_primary_method = "authenticator"
        db.session.commit()
    stored = db.session.execute(select(User.password, User.fs_uniquifier).where(User.id == user.id)).one()
    raw = json.dumps([entry.changes for entry in history("user", user.id)], ensure_ascii=False)
    for secret in (stored.password, stored.fs_uniquifier, "JBSWY3DPEHPK3PXP-secret", "a much better password"):
        assert secret not in raw
    reset, two_factor = history("user", user.id)[-2:]
    assert reset.changes["password"] == [MASK, MASK]
    assert two_factor.changes["tf_totp_secret"] == [None, MASK]
    assert two_factor.changes["tf_primary_method"] == [None, "authenticator"]


def test_signing_in_records_nothing(world, client_for):
    before = entry_count()
    client_for(world.am1).get("/")
    assert entry_count() == before


def test_a_rolled_back_change_leaves_no_entry(world):
    before = entry_count()
    customer = world.customers["am1"]
    with acting_as(world.am1.scope):
        customers.update_customer(world.am1, customer, {"name": "Never saved"}, customer.version)
        customers.add_contact(world.am1, customer, name="Nobody")
        db.session.flush()
    assert entry_count() > before  # written in the transaction …
    db.session.rollback()
    assert entry_count() == before  # … and gone with it


def test_to_do_assignee_due_and_status_changes_are_recorded(world):
    item = make_todo(world.am1, title="Call back")
    db.session.commit()
    new_due = utcnow().replace(microsecond=0) + timedelta(days=5)
    with acting_as(world.lead.scope):
        inbox.reassign(item, world.lead, world.am2)
        inbox.update_todo(item, due_at=new_due)
        db.session.commit()
    with acting_as(world.am2.scope):
        inbox.mark_done(item, world.am2, note="Done on the phone")
        db.session.commit()
    created, reassigned, *_rest, done = history("todo_item", item.id)
    assert created.action == "create" and created.actor_id is None  # the factory acts as the system
    assert reassigned.actor_id == world.lead.id
    assert reassigned.changes["owner_id"] == [world.am1.id, world.am2.id]
    assert any(entry.changes.get("due_at", [None, None])[1] == new_due.isoformat() for entry in _rest + [reassigned])
    assert done.actor_id == world.am2.id and done.changes["status"] == ["open", "done"]
    assert done.changes["result_note"] == ["", "Done on the phone"]
    assert (done.org_unit_id, done.owner_id) == (world.grid2.id, world.am2.id)


def test_moving_a_unit_records_its_new_parent_but_not_the_derived_path(world):
    unit = make_unit("G9", "grid", world.county)
    db.session.commit()
    with acting_as(world.admin.scope):
        admin.move_unit(world.admin, unit, world.other_county)
        db.session.commit()
    entry = history("org_unit", unit.id)[-1]
    assert entry.changes == {"parent_id": [world.county.id, world.other_county.id]}
    assert entry.actor_id == world.admin.id


def test_deleting_a_role_records_what_it_was(world):
    with acting_as(world.admin.scope):
        role = admin.create_role(world.admin, name="auditor", label="审计", scope_level="unit")
        db.session.commit()
        role_id = role.id
        admin.delete_role(world.admin, role)
        db.session.commit()
    created, deleted = history("role", role_id)
    assert created.action == "create" and deleted.action == "delete"
    assert deleted.changes["name"] == ["auditor", None] and deleted.changes["label"] == ["审计", None]


def test_a_change_made_in_a_request_names_the_signed_in_user(world, client_for):
    customer = world.customers["am1"]
    db.session.commit()
    response = client_for(world.am1).post(f"/customers/{customer.id}/edit", data={
        "name": "改名客户", "industry": "", "level": "B", "address": "", "notes": "", "version": customer.version,
    })
    assert response.status_code == 302
    entry = history("customer", customer.id)[-1]
    assert entry.actor_id == world.am1.id and entry.changes["name"] == ["am1的客户", "改名客户"]


def test_system_work_is_recorded_as_done_by_nobody(world):
    with system_scope():
        customer = make_customer(world.am1, name="Imported")
    db.session.commit()
    [entry] = history("customer", customer.id)
    assert entry.actor_id is None


@pytest.mark.parametrize(("value", "stored"), [
    (datetime(2024, 5, 1, 8, 30), "2024-05-01T08:30:00"),
    (date(2024, 5, 1), "2024-05-01"),
    (Decimal("12.50"), "12.50"),
    ({"a", "b"}, ["a", "b"]),
    ((1, date(2024, 1, 2)), [1, "2024-01-02"]),
    (b"\x00\x01", "AAE="),
])
def test_values_are_stored_as_json_a_reader_understands(value, stored):
    assert json_safe(value) == stored
