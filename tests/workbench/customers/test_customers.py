"""Customers: list with search and filters, the customer page and its sections, editing with
conflict detection, contacts, group links, export — all within scope."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.factories import make_customer
from workbench.customers import services
from workbench.customers.models import Customer, CustomerContact, CustomerLink, CustomerMember
from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope
from workbench.records import EditConflict


def test_list_shows_only_customers_in_scope_and_searches(world, client_for):
    make_customer(world.am1, name="滨江县人民医院", industry="医疗卫生")
    db.session.commit()
    client = client_for(world.am1)
    html = client.get("/customers/").get_data(as_text=True)
    assert "滨江县人民医院" in html and "am2的客户" not in html
    assert "滨江县人民医院" not in client.get("/customers/?q=银行").get_data(as_text=True)
    assert "滨江县人民医院" in client.get("/customers/?industry=医疗卫生").get_data(as_text=True)


def test_customer_page_loads_its_sections_lazily(world, client_for):
    customer = world.customers["am1"]
    db.session.add(CustomerContact(customer_id=customer.id, name="周主任", phone="13800000000"))
    db.session.add(CustomerMember(customer_id=customer.id, number="13900000001", product="集团V网"))
    db.session.commit()
    client = client_for(world.am1)
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f"/customers/{customer.id}/sections/core.contacts" in page
    assert "周主任" in client.get(f"/customers/{customer.id}/sections/core.contacts").get_data(as_text=True)
    assert "13900000001" in client.get(f"/customers/{customer.id}/sections/core.members").get_data(as_text=True)


def test_sections_and_members_of_an_out_of_scope_customer_answer_404(world, client_for):
    other = world.customers["am3"]
    client = client_for(world.lead)
    for url in (f"/customers/{other.id}", f"/customers/{other.id}/sections/core.basic",
                f"/customers/{other.id}/members", f"/customers/{other.id}/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/customers/{other.id}/contacts", data={"name": "x"}).status_code == 404


def test_export_contains_only_customers_in_scope(world, client_for):
    csv_text = client_for(world.lead).get("/customers/export.csv").get_data(as_text=True)
    assert "am1的客户" in csv_text and "am2的客户" in csv_text and "am3的客户" not in csv_text


def test_an_account_manager_may_not_export(world, client_for):
    assert client_for(world.am1).get("/customers/export.csv").status_code == 403


def test_editing_with_the_current_version_saves(world, client_for):
    customer = world.customers["am1"]
    response = client_for(world.am1).post(f"/customers/{customer.id}/edit", data={
        "name": "新名称", "industry": "教育", "level": "B", "address": "", "notes": "", "version": customer.version})
    assert response.status_code == 302
    db.session.expire_all()
    with system_scope():
        assert db.session.get(Customer, customer.id).name == "新名称"


def test_two_people_editing_the_same_customer_the_second_gets_a_conflict(world, client_for):
    customer = world.customers["am1"]
    version = customer.version
    first = client_for(world.am1).post(f"/customers/{customer.id}/edit", data={
        "name": "第一次修改", "level": "A", "version": version})
    assert first.status_code == 302
    second = client_for(world.lead).post(f"/customers/{customer.id}/edit", data={
        "name": "第二次修改", "level": "B", "version": version}, follow_redirects=True)
    body = second.get_data(as_text=True)
    assert "alert-warning" in body
    db.session.expire_all()
    with system_scope():
        assert db.session.get(Customer, customer.id).name == "第一次修改"


def test_edit_form_with_missing_name_shows_the_error_and_keeps_data(world, client_for):
    customer = world.customers["am1"]
    response = client_for(world.am1).post(f"/customers/{customer.id}/edit", data={
        "name": "", "level": "A", "version": customer.version})
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    db.session.expire_all()
    with system_scope():
        assert db.session.get(Customer, customer.id).name == "am1的客户"


def test_update_refuses_owner_and_unit_changes(world):
    customer = world.customers["am1"]
    with pytest.raises(NotAllowed):
        services.update_customer(world.am1, customer, {"owner_id": world.am2.id}, customer.version)
    with pytest.raises(EditConflict):
        services.update_customer(world.am1, customer, {"name": "x"}, customer.version + 5)
    with pytest.raises(ServiceError):
        services.update_customer(world.am1, customer, {"level": "Z"}, customer.version)
    assert customer.owner_id == world.am1.id and customer.level == "C"


def test_create_refuses_a_duplicate_code_even_out_of_scope(world):
    with pytest.raises(ServiceError):
        services.create_customer(world.lead, code=world.customers["am3"].code, name="x")
    with pytest.raises(NotAllowed):
        services.create_customer(world.am1, code="NEW1", name="x")


def test_contacts_need_a_name_and_a_sane_phone(world):
    customer = world.customers["am1"]
    with pytest.raises(ServiceError):
        services.add_contact(world.am1, customer, name=" ")
    with pytest.raises(ServiceError):
        services.add_contact(world.am1, customer, name="周", phone="call me")
    contact = services.add_contact(world.am1, customer, name="周主任", phone="+86 138-0000-0000")
    assert contact.phone == "+86 138-0000-0000"


def test_headquarters_links_show_the_whole_group_within_scope(world):
    hq = world.customers["am1"]
    services.link_customers(world.admin, hq, world.customers["am2"], "headquarters")
    services.link_customers(world.admin, hq, world.customers["am3"], "headquarters")
    db.session.commit()
    with acting_as(world.lead.scope):
        group = services.group_view(hq)
        names = {c.name for c in group.whole_group}
    assert names == {"am1的客户", "am2的客户"}  # the branch in the other county stays hidden
    with acting_as(world.admin.scope):
        assert len(services.group_view(hq).children) == 2


def test_links_refuse_cycles_and_self_links(world):
    a, b = world.customers["am1"], world.customers["am2"]
    services.link_customers(world.admin, a, b, "natural")
    with pytest.raises(ServiceError):
        services.link_customers(world.admin, b, a, "natural")
    with pytest.raises(ServiceError):
        services.link_customers(world.admin, a, a, "natural")
    with pytest.raises(ServiceError):
        services.link_customers(world.admin, a, b, "cousins")
    with system_scope():
        assert db.session.execute(select(CustomerLink)).scalars().all()[0].link_type == "natural"


def test_lead_links_a_branch_by_code_from_the_customer_page(world, client_for):
    hq, branch = world.customers["am1"], world.customers["am2"]
    client = client_for(world.lead)
    client.post(f"/customers/{hq.id}/links", data={"child_code": branch.code, "link_type": "headquarters"})
    section = client.get(f"/customers/{hq.id}/sections/core.group").get_data(as_text=True)
    assert "am2的客户" in section


def test_linking_a_group_the_user_cannot_see_is_refused(world, client_for):
    hq, hidden = world.customers["am1"], world.customers["am3"]
    response = client_for(world.lead).post(f"/customers/{hq.id}/links",
                                           data={"child_code": hidden.code, "link_type": "natural"},
                                           follow_redirects=True)
    assert "alert-danger" in response.get_data(as_text=True)
    with system_scope():
        assert db.session.execute(select(CustomerLink)).first() is None
