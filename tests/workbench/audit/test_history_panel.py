"""The history panel (GET /audit/<key>/<id>, and the customer page's "History" section) lists
a record's changes newest first, paged, with readable labels — to someone who can see the
record itself, and answers 404 to anyone else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.factories import make_todo, make_user
from workbench.admin import services as admin
from workbench.audit.services import ENTRIES_PER_PAGE
from workbench.auth.models import Role
from workbench.customers import services as customers
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.org.scope import acting_as
from workbench.plugins import registry

pytestmark = pytest.mark.locale("en")


def rename(customer, actor, *names: str) -> None:
    with acting_as(actor.scope):
        for name in names:
            customers.update_customer(actor, customer, {"name": name}, customer.version)
            db.session.commit()


def test_the_customer_page_has_a_history_section_after_the_core_sections(app):
    [section] = [s for s in registry().customer_sections if s.key == "audit.history"]
    assert section.order == 90 and str(section.title) == "History"


def test_the_owner_sees_who_changed_which_field_of_the_customer_and_its_contacts(world, client_for):
    customer = world.customers["am1"]
    rename(customer, world.am1, "江城一中")
    with acting_as(world.am1.scope):
        customers.add_contact(world.am1, customer, name="张三", phone="13900000001")
        db.session.commit()
    html = client_for(world.am1).get(f"/customers/{customer.id}/sections/audit.history").get_data(as_text=True)
    assert "am1的客户" in html and "江城一中" in html and "Name" in html
    assert "Contact" in html and "张三" in html and "Full name" in html
    assert html.index("张三") < html.index("江城一中")  # newest first
    assert "am1</strong>" in html


def test_someone_who_cannot_see_the_customer_gets_404_for_its_history_and_its_contacts(world, client_for):
    customer = world.customers["am1"]
    with acting_as(world.am1.scope):
        contact = customers.add_contact(world.am1, customer, name="张三")
        db.session.commit()
    outsider = client_for(world.outsider)  # an account manager of another county
    assert outsider.get(f"/audit/customer/{customer.id}").status_code == 404
    assert outsider.get(f"/audit/customer_contact/{contact.id}").status_code == 404
    assert outsider.get(f"/customers/{customer.id}/sections/audit.history").status_code == 404
    lead = client_for(world.lead)  # the county lead above am1's grid sees it
    assert lead.get(f"/audit/customer/{customer.id}").status_code == 200
    assert "张三" in lead.get(f"/audit/customer_contact/{contact.id}").get_data(as_text=True)


def test_an_unknown_kind_of_record_or_a_missing_record_answers_404(world, client_for):
    client = client_for(world.admin)
    assert client.get("/audit/nonsense/1").status_code == 404
    assert client.get("/audit/customer/999999").status_code == 404
    assert client.get("/audit/job/1").status_code == 404  # not an audited model


def test_signed_out_visitors_do_not_see_any_history(world, client):
    response = client.get(f"/audit/customer/{world.customers['am1'].id}")
    assert response.status_code in (302, 401)


def test_a_to_do_s_history_follows_the_to_do_s_scope(world, client_for):
    item = make_todo(world.am1, title="Call back")
    db.session.commit()
    assert client_for(world.am1).get(f"/audit/todo_item/{item.id}").status_code == 200
    assert client_for(world.am2).get(f"/audit/todo_item/{item.id}").status_code == 404


def test_an_account_s_history_is_shown_to_the_admins_who_manage_it_only(world, client_for):
    lead_role = db.session.execute(select(Role).where(Role.name == "lead")).scalar_one()
    user = make_user("account_manager", world.grid1, username="promoted")
    db.session.commit()
    with acting_as(world.admin.scope):
        admin.update_user(world.admin, user, snapshot=admin.user_snapshot(user), display_name="Promoted",
                          email=None, phone=None, unit=world.grid1, roles=[lead_role], extra_permissions=[],
                          active=True)
        admin.reset_password(world.admin, user, "a much better password 2024")
        db.session.commit()
    html = client_for(world.admin).get(f"/audit/user/{user.id}").get_data(as_text=True)
    assert "Roles" in html and "lead" in html and "account_manager" in html
    assert "Password" in html and "(hidden)" in html
    assert client_for(world.am1).get(f"/audit/user/{user.id}").status_code == 404
    assert client_for(world.lead).get(f"/audit/user/{user.id}").status_code == 404  # no admin.users


def test_a_unit_admin_sees_the_history_of_accounts_in_their_unit_but_not_elsewhere(world, client_for):
    unit_admin = make_user(["lead"], world.county, username="countyadmin")
    unit_admin.extra_permissions = ["admin.users"]
    db.session.commit()
    client = client_for(unit_admin)
    assert client.get(f"/audit/user/{world.am1.id}").status_code == 200
    assert client.get(f"/audit/user/{world.outsider.id}").status_code == 404


def test_the_admin_user_page_loads_the_history_panel(world, client_for):
    html = client_for(world.admin).get(f"/admin/users/{world.am1.id}").get_data(as_text=True)
    assert f'hx-get="/audit/user/{world.am1.id}"' in html


def test_people_and_units_are_shown_by_name_and_the_system_as_such(world, client_for):
    item = make_todo(world.am1, title="Call back")  # opened by the system (a factory)
    db.session.commit()
    with acting_as(world.lead.scope):
        from workbench.inbox import services as inbox

        inbox.reassign(item, world.lead, world.am2)
        db.session.commit()
    html = client_for(world.lead).get(f"/audit/todo_item/{item.id}").get_data(as_text=True)
    assert "System" in html and "Assignee" in html
    assert "am1" in html and "am2" in html and world.grid2.name in html


def test_the_history_is_paged_newest_first(world, client_for):
    customer = world.customers["am1"]
    rename(customer, world.am1, *[f"Name {n:02d}" for n in range(ENTRIES_PER_PAGE + 4)])
    client = client_for(world.am1)
    first = client.get(f"/audit/customer/{customer.id}").get_data(as_text=True)
    assert f"Name {ENTRIES_PER_PAGE + 3:02d}" in first and "Name 00" not in first
    assert f"{ENTRIES_PER_PAGE + 5} changes" in first and "page=2" in first
    second = client.get(f"/audit/customer/{customer.id}?page=2").get_data(as_text=True)
    assert "Name 00" in second and f"Name {ENTRIES_PER_PAGE + 3:02d}" not in second


def test_the_history_can_be_narrowed_to_one_kind_of_record(world, client_for):
    customer = world.customers["am1"]
    with acting_as(world.am1.scope):
        customers.add_contact(world.am1, customer, name="张三")
        db.session.commit()
    rename(customer, world.am1, "Renamed")
    client = client_for(world.am1)
    contacts_only = client.get(f"/audit/customer/{customer.id}?kind=customer_contact").get_data(as_text=True)
    assert "张三" in contacts_only and "Renamed" not in contacts_only
    everything = client.get(f"/audit/customer/{customer.id}?kind=bogus").get_data(as_text=True)
    assert "张三" in everything and "Renamed" in everything


def test_a_history_with_nothing_to_show_says_so(world, client_for):
    response = client_for(world.admin).get(f"/audit/customer/{world.customers['am2'].id}?kind=customer_contact")
    assert "No changes recorded yet" in response.get_data(as_text=True)


def test_the_panel_issues_the_same_number_of_statements_for_few_and_many_changes(world, client_for, count_queries):
    customer = world.customers["am1"]
    client = client_for(world.am1)
    url = f"/audit/customer/{customer.id}"

    def statements() -> int:
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    # Names of people and units are looked up once per page, whatever the page holds.
    rename(customer, world.am1, *[f"Name {n}" for n in range(ENTRIES_PER_PAGE)])
    few = statements()
    rename(customer, world.am1, *[f"Other name {n}" for n in range(3 * ENTRIES_PER_PAGE)])
    assert statements() == few


@pytest.mark.locale("zh_Hans_CN")
def test_coded_values_read_as_words_in_the_reader_s_language(world, client_for):
    item = make_todo(world.am1, title="Call back")
    db.session.commit()
    with acting_as(world.am1.scope):
        inbox.mark_done(db.session.get(type(item), item.id), world.am1)
        db.session.commit()
    html = client_for(world.am1).get(f"/audit/todo_item/{item.id}").get_data(as_text=True)
    assert "待处理" in html and "已完成" in html  # status open → done, not the stored codes
    assert ">done<" not in html
