"""The admin pages over HTTP: permissions, the org tree, users, hand-over, roles, default
homepage layouts and the plugin list. Clients switch to English so messages can be matched."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_todo, roles
from workbench.admin import services
from workbench.auth.models import Role, User
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope

SAMPLE = pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES={"sample": "tests.support.sample_plugin"})


@pytest.fixture
def english(client_for):
    """english(user) → a client signed in as that user, reading the pages in English."""

    def make(user):
        client = client_for(user)
        client.post("/language/en", data={"next": "/"})
        return client

    return make


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(model, record_id):
    db.session.expire_all()
    return db.session.get(model, record_id)


def snapshot_field(html: str) -> str:
    return re.search(r'name="snapshot" type="hidden" value="([0-9a-f]+)"', html).group(1)


def user_form(user: User, snapshot: str, **changes) -> dict:
    data = {"snapshot": snapshot, "display_name": user.display_name, "email": user.email or "",
            "phone": user.phone or "", "unit": str(user.org_unit_id),
            "roles": [str(role.id) for role in user.roles], "active": "y"}
    data.update(changes)
    return data


# --- who may enter --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/org/", "/admin/users/", "/admin/users/new", "/admin/roles/",
                                  "/admin/homepage/", "/admin/plugins/"])
def test_an_account_manager_gets_403_on_admin_pages(world, client_for, path):
    assert client_for(world.am1).get(path).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    response = client.get("/admin/users/")
    assert response.status_code in (302, 401)


def test_the_index_shows_a_card_per_area_the_admin_may_use(world, english):
    html = text(english(world.admin).get("/admin/"))
    for endpoint in ("admin.units", "admin.users", "admin.roles", "admin.layouts", "admin.plugins"):
        assert f'data-area="{endpoint}"' in html
    assert "active units" in html


def test_a_lead_with_only_user_administration_sees_only_those_cards(world, english):
    world.lead.extra_permissions = ["admin.users"]
    db.session.commit()
    client = english(world.lead)
    html = text(client.get("/admin/"))
    assert 'data-area="admin.users"' in html and 'data-area="admin.units"' not in html
    assert client.get("/admin/org/").status_code == 403


# --- org tree -------------------------------------------------------------------------------

def test_the_tree_lists_units_indented_with_member_counts(world, english):
    html = text(english(world.admin).get("/admin/org/"))
    rows = re.findall(r'data-unit-code="([^"]+)"', html)
    assert rows == ["P", "C1", "X1", "G1", "G2", "X2"]
    county_row = html[html.index('data-unit-code="X1"'):html.index('data-unit-code="G1"')]
    assert 'data-members="1"' in county_row and "/ 3" in county_row


def test_the_tree_is_searchable(world, english):
    html = text(english(world.admin).get("/admin/org/?q=G2"))
    assert re.findall(r'data-unit-code="([^"]+)"', html) == ["G2"]
    empty = text(english(world.admin).get("/admin/org/?q=nothing-like-this"))
    assert "No unit matches" in empty


def test_creating_a_unit_at_a_wrong_level_shows_the_error_and_saves_nothing(world, english):
    before = db.session.execute(select(func.count(OrgUnit.id))).scalar_one()
    response = english(world.admin).post("/admin/org/new", data={
        "parent": world.county.id, "level": "city", "code": "BAD", "name": "错层级", "sort_order": "0"})
    assert response.status_code == 200
    assert "cannot sit under" in text(response)
    assert db.session.execute(select(func.count(OrgUnit.id))).scalar_one() == before


def test_creating_a_unit_with_a_duplicate_code_is_refused(world, english):
    response = english(world.admin).post("/admin/org/new", data={
        "parent": world.county.id, "level": "grid", "code": "G1", "name": "重复", "sort_order": "0"})
    assert "already exists" in text(response)
    assert db.session.execute(select(func.count(OrgUnit.id)).where(OrgUnit.name == "重复")).scalar_one() == 0


def test_a_unit_is_created_under_its_parent(world, english):
    response = english(world.admin).post("/admin/org/new", data={
        "parent": world.county.id, "level": "grid", "code": "G3", "name": "新网格", "sort_order": "2"})
    assert response.status_code == 302
    unit = db.session.execute(select(OrgUnit).where(OrgUnit.code == "G3")).scalar_one()
    assert unit.parent_id == world.county.id and unit.path.startswith(world.county.path)


def test_moving_a_unit_over_http_rewrites_the_paths_below_it(world, english):
    client = english(world.admin)
    client.post("/admin/org/new", data={"parent": world.province.id, "level": "city", "code": "C2",
                                        "name": "海州", "sort_order": "0"})
    other_city = db.session.execute(select(OrgUnit).where(OrgUnit.code == "C2")).scalar_one()
    response = client.post(f"/admin/org/{world.county.id}/move", data={"parent": other_city.id})
    assert response.status_code == 302
    grid = fresh(OrgUnit, world.grid1.id)
    assert grid.path == f"{other_city.path}{world.county.id}/{grid.id}/"
    assert fresh(OrgUnit, world.county.id).parent_id == other_city.id


def test_renaming_a_unit_from_a_stale_form_is_a_conflict(world, english):
    client = english(world.admin)
    snapshot = snapshot_field(text(client.get(f"/admin/org/{world.grid1.id}")))
    client.post(f"/admin/org/{world.grid1.id}", data={"code": "G1", "name": "第一次", "sort_order": "0",
                                                      "snapshot": snapshot})
    response = client.post(f"/admin/org/{world.grid1.id}", data={"code": "G1", "name": "第二次", "sort_order": "0",
                                                                 "snapshot": snapshot}, follow_redirects=True)
    assert "Someone else changed this unit" in text(response)
    assert fresh(OrgUnit, world.grid1.id).name == "第一次"


def test_deactivating_a_unit_with_active_users_is_refused_with_a_message(world, english):
    response = english(world.admin).post(f"/admin/org/{world.grid1.id}/deactivate", follow_redirects=True)
    assert "still has 1 active user." in text(response)
    assert fresh(OrgUnit, world.grid1.id).active is True


def test_an_empty_unit_is_deactivated_and_hidden_from_the_tree(world, english):
    client = english(world.admin)
    client.post("/admin/org/new", data={"parent": world.county.id, "level": "grid", "code": "G3",
                                        "name": "空网格", "sort_order": "0"})
    unit = db.session.execute(select(OrgUnit).where(OrgUnit.code == "G3")).scalar_one()
    client.post(f"/admin/org/{unit.id}/deactivate")
    assert fresh(OrgUnit, unit.id).active is False
    assert 'data-unit-code="G3"' not in text(client.get("/admin/org/"))
    assert 'data-unit-code="G3"' in text(client.get("/admin/org/?inactive=1"))


# --- users ----------------------------------------------------------------------------------

def test_the_user_list_searches_and_filters(world, english):
    client = english(world.admin)
    listed = lambda query: re.findall(r'data-username="([^"]+)"', text(client.get(f"/admin/users/{query}")))  # noqa: E731
    assert set(listed("")) == {"admin", "lead", "am1", "am2", "am3"}
    assert listed("?q=am2") == ["am2"]
    assert set(listed(f"?unit={world.county.id}")) == {"lead", "am1", "am2"}
    assert listed("?role=lead") == ["lead"]
    world.am2.active = False
    db.session.commit()
    assert listed("?active=0") == ["am2"]
    assert "No user matches" in text(client.get("/admin/users/?q=nobody-at-all"))


def test_an_admin_creates_a_user(world, english):
    response = english(world.admin).post("/admin/users/new", data={
        "username": "am9", "display_name": "新人", "email": "", "phone": "13900001111", "unit": world.grid2.id,
        "roles": [roles()["account_manager"].id], "password": "a long password",
        "password_confirm": "a long password"})
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.username == "am9")).scalar_one()
    assert user.org_unit_id == world.grid2.id and user.role_names == {"account_manager"}


@pytest.mark.parametrize("changes, message", [
    ({"username": "AM1"}, "is taken"),
    ({"password": "short", "password_confirm": "short"}, "Password must be at least"),
    ({"password_confirm": "something else"}, "The passwords differ"),
    ({"roles": []}, "at least one role"),
    ({"email": "not-an-address"}, "Invalid email"),
    ({"unit": "0"}, "Choose the user"),
])
def test_creating_a_user_with_bad_input_shows_the_error_and_saves_nothing(world, english, changes, message):
    data = {"username": "am9", "display_name": "新人", "email": "", "phone": "", "unit": world.grid2.id,
            "roles": [roles()["account_manager"].id], "password": "a long password",
            "password_confirm": "a long password"}
    data.update(changes)
    response = english(world.admin).post("/admin/users/new", data=data)
    assert response.status_code == 200
    assert message.lower() in text(response).lower()
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 5


@pytest.mark.plugins()  # core rules: plugin permissions would widen the AM role beyond the lead
def test_a_lead_admin_gets_404_for_users_outside_their_unit(world, english):
    world.lead.extra_permissions = ["admin.users"]
    db.session.commit()
    client = english(world.lead)
    assert client.get(f"/admin/users/{world.outsider.id}").status_code == 404
    assert client.post(f"/admin/users/{world.outsider.id}/deactivate").status_code == 404
    assert client.post(f"/admin/users/{world.outsider.id}/password",
                       data={"password": "x" * 12, "password_confirm": "x" * 12}).status_code == 404
    assert client.get(f"/admin/users/{world.am1.id}").status_code == 200
    assert fresh(User, world.outsider.id).active is True


def test_a_user_cannot_raise_their_own_roles(world, english):
    world.lead.extra_permissions = ["admin.users"]
    db.session.commit()
    client = english(world.lead)
    html = text(client.get(f"/admin/users/{world.lead.id}"))
    assert "you cannot change your own roles" in html.lower()
    response = client.post(f"/admin/users/{world.lead.id}", data=user_form(
        world.lead, snapshot_field(html), roles=[str(roles()["province_admin"].id), str(roles()["lead"].id)],
        extra_permissions=["admin.users", "admin.plugins"]))
    assert response.status_code == 403
    assert "You cannot change your own roles" in text(response)
    lead = fresh(User, world.lead.id)
    assert lead.role_names == {"lead"} and lead.extra_permissions == ["admin.users"]


def test_an_admin_edits_their_own_name_without_touching_their_roles(world, english):
    client = english(world.admin)
    html = text(client.get(f"/admin/users/{world.admin.id}"))
    data = user_form(world.admin, snapshot_field(html), display_name="总管")
    del data["roles"]  # the page does not offer them on one's own account
    assert client.post(f"/admin/users/{world.admin.id}", data=data).status_code == 302
    admin = fresh(User, world.admin.id)
    assert admin.display_name == "总管" and admin.role_names == {"province_admin", "system_admin"}


def test_a_stale_user_edit_shows_a_conflict_and_changes_nothing(world, english):
    first, second = english(world.admin), english(world.admin)
    snapshot = snapshot_field(text(first.get(f"/admin/users/{world.am1.id}")))
    assert snapshot == snapshot_field(text(second.get(f"/admin/users/{world.am1.id}")))
    first.post(f"/admin/users/{world.am1.id}", data=user_form(world.am1, snapshot, phone="13811112222"))
    response = second.post(f"/admin/users/{world.am1.id}", data=user_form(world.am1, snapshot, phone="13700000000",
                                                                          display_name="覆盖者"),
                           follow_redirects=True)
    assert "Someone else changed this user" in text(response)
    am1 = fresh(User, world.am1.id)
    assert am1.phone == "13811112222" and am1.display_name != "覆盖者"
    assert "13811112222" in text(response)  # the other admin's change is what the form now shows


def test_an_admin_grants_an_extra_permission_and_it_takes_effect(world, english):
    client = english(world.admin)
    snapshot = snapshot_field(text(client.get(f"/admin/users/{world.am1.id}")))
    client.post(f"/admin/users/{world.am1.id}", data=user_form(world.am1, snapshot, extra_permissions=["inbox.dispatch"]))
    assert fresh(User, world.am1.id).can("inbox.dispatch")
    assert english(world.am1).get("/inbox/dispatches").status_code == 200


def test_a_password_reset_signs_the_user_out_and_the_new_password_works(world, english, client_for):
    am1_client = client_for(world.am1)
    english(world.admin).post(f"/admin/users/{world.am1.id}/password",
                              data={"password": "new secret words", "password_confirm": "new secret words"})
    assert am1_client.get("/").status_code in (302, 401)  # the old session ended
    assert client_for(world.am1, password="new secret words").get("/").status_code == 200


def test_a_too_short_reset_password_is_refused(world, english):
    before = world.am1.password
    response = english(world.admin).post(f"/admin/users/{world.am1.id}/password",
                                         data={"password": "short", "password_confirm": "short"},
                                         follow_redirects=True)
    assert "Password must be at least" in text(response)
    assert fresh(User, world.am1.id).password == before


def test_hand_over_moves_todos_and_customers_and_shows_the_counts(world, english):
    todo = make_todo(world.am1, title="交接的待办")
    db.session.commit()
    response = english(world.admin).post(f"/admin/users/{world.am1.id}/hand-over",
                                         data={"successor": world.am2.id, "deactivate": "y"}, follow_redirects=True)
    assert "Open to-dos moved: 1; customers moved: 1." in text(response)
    with system_scope():
        assert fresh(TodoItem, todo.id).owner_id == world.am2.id
        assert fresh(Customer, world.customers["am1"].id).owner_id == world.am2.id
    assert fresh(User, world.am1.id).active is False


def test_hand_over_to_nobody_chosen_is_refused(world, english):
    response = english(world.admin).post(f"/admin/users/{world.am1.id}/hand-over", data={"successor": "0"})
    assert "Choose an active person you manage" in text(response)
    assert fresh(User, world.am1.id).active is True


def test_an_admin_cannot_deactivate_themselves(world, english):
    response = english(world.admin).post(f"/admin/users/{world.admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate" in text(response)
    assert fresh(User, world.admin.id).active is True


# --- roles ----------------------------------------------------------------------------------

def test_the_role_list_shows_scope_and_user_counts(world, english):
    roles()
    db.session.commit()
    html = text(english(world.admin).get("/admin/roles/"))
    row = html[html.index('data-role="account_manager"'):]
    row = row[:row.index("</tr>")]
    assert "Own records" in row and ">3<" in row


def test_editing_role_permissions_takes_effect(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    assert not world.am1.can("inbox.dispatch")
    permissions = sorted(role.get_permissions()) + ["inbox.dispatch"]
    response = english(world.admin).post(f"/admin/roles/{role.id}", data={"label": "客户经理", "permissions": permissions})
    assert response.status_code == 302
    assert fresh(User, world.am1.id).can("inbox.dispatch")
    assert fresh(Role, role.id).label == "客户经理"


def test_editing_a_role_with_an_unknown_permission_is_refused(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    before = set(role.get_permissions())
    response = english(world.admin).post(f"/admin/roles/{role.id}", data={"label": "x", "permissions": ["nope.never"]})
    assert "Unknown permission" in text(response)
    assert set(fresh(Role, role.id).get_permissions()) == before


def test_a_custom_role_is_created_and_deleted_but_a_built_in_one_is_not(world, english):
    client = english(world.admin)
    assert client.post("/admin/roles/new", data={"name": "callback_agent", "label": "回访专员",
                                                 "scope_level": "own"}).status_code == 302
    role = db.session.execute(select(Role).where(Role.name == "callback_agent")).scalar_one()
    bad = client.post("/admin/roles/new", data={"name": "Bad Name", "label": "x", "scope_level": "own"})
    assert "lower-case letters" in text(bad)
    client.post(f"/admin/roles/{role.id}/delete")
    assert fresh(Role, role.id) is None
    builtin = roles()["lead"]
    db.session.commit()
    response = client.post(f"/admin/roles/{builtin.id}/delete", follow_redirects=True)
    assert "Built-in roles cannot be deleted" in text(response)
    assert fresh(Role, builtin.id) is not None


def test_a_unit_admin_may_look_at_roles_but_not_change_them(world, english):
    world.lead.extra_permissions = ["admin.users"]
    db.session.commit()
    role = roles()["account_manager"]
    db.session.commit()
    client = english(world.lead)
    assert client.get("/admin/roles/").status_code == 200
    assert client.post(f"/admin/roles/{role.id}", data={"label": "x", "permissions": []}).status_code == 403
    assert client.get("/admin/roles/new").status_code == 403


# --- default homepage layouts ---------------------------------------------------------------

def test_a_role_layout_is_saved_and_its_locked_widget_appears_on_members_homepages(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    response = english(world.admin).post(f"/admin/homepage/{role.id}", data={
        "key": ["homepage.quick_links", "inbox.my_todos", "customers.mine", "inbox.team_tasks"],
        "include": ["homepage.quick_links", "inbox.my_todos"],
        "width-homepage.quick_links": "12", "width-inbox.my_todos": "8",
        "width-customers.mine": "6", "width-inbox.team_tasks": "6",
        "locked": ["homepage.quick_links"], "save": "1"})
    assert response.status_code == 302
    html = text(english(world.am1).get("/"))
    placed = re.findall(r'data-key="([^"]+)" data-width="(\d+)" data-locked="(\d)"', html)
    assert placed == [("homepage.quick_links", "12", "1"), ("inbox.my_todos", "8", "0")]


def test_the_up_button_reorders_without_saving(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    html = text(english(world.admin).post(f"/admin/homepage/{role.id}", data={
        "key": ["homepage.quick_links", "inbox.my_todos"], "include": ["homepage.quick_links", "inbox.my_todos"],
        "width-homepage.quick_links": "12", "width-inbox.my_todos": "6", "move": "inbox.my_todos:up"}))
    rows = re.findall(r'class="wb-layout-row" data-key="([^"]+)"', html)
    assert rows[:2] == ["inbox.my_todos", "homepage.quick_links"]
    assert services.role_layout_summary() == {}


def test_a_role_layout_with_a_bad_width_is_refused(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    response = english(world.admin).post(f"/admin/homepage/{role.id}", data={
        "key": ["inbox.my_todos"], "include": ["inbox.my_todos"], "width-inbox.my_todos": "5", "save": "1"})
    assert response.status_code == 400
    assert "Widget width must be one of" in text(response)
    assert services.role_layout_summary() == {}


def test_locking_a_widget_that_is_not_on_the_layout_is_refused(world, english):
    role = roles()["account_manager"]
    db.session.commit()
    response = english(world.admin).post(f"/admin/homepage/{role.id}", data={
        "key": ["inbox.my_todos", "customers.mine"], "include": ["inbox.my_todos"],
        "width-inbox.my_todos": "6", "width-customers.mine": "6", "locked": ["customers.mine"], "save": "1"})
    assert "Only widgets on the layout can be locked" in text(response)
    assert services.role_layout_summary() == {}


# --- plugins --------------------------------------------------------------------------------

@SAMPLE
def test_the_plugin_page_lists_installed_plugins(world, english):
    html = text(english(world.admin).get("/admin/plugins/"))
    row = html[html.index('data-plugin="sample"'):]
    row = row[:row.index("</tr>")]
    assert "Sample" in row and "1.0" in row and "enabled" in row


@pytest.mark.csrf
def test_admin_forms_need_the_csrf_token(world, app):
    from tests.support.factories import PASSWORD

    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/login"))).group(1)
    assert client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert client.post(f"/admin/users/{world.am2.id}/deactivate").status_code == 400
    assert fresh(User, world.am2.id).active is True
    page = text(client.get(f"/admin/users/{world.am2.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/users/{world.am2.id}/deactivate", data={"csrf_token": token}).status_code == 302
    assert fresh(User, world.am2.id).active is False
