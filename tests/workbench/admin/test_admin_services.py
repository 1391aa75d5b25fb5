"""Admin rules without HTTP: the org tree, users (reach, grants, stale edits, hand-over), roles
and default homepage layouts."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_todo, make_unit, make_user, roles
from workbench.admin import services
from workbench.auth.models import Role, User
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.homepage import services as homepage
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.org.models import OrgUnit
from workbench.org.scope import system_scope

# These tests match English wording of messages; the product default is Simplified Chinese.
pytestmark = pytest.mark.locale("en")


def unit_count() -> int:
    return db.session.execute(select(func.count(OrgUnit.id))).scalar_one()


def make_lead_admin(world) -> User:
    """The county lead, given user administration for their county only."""
    world.lead.extra_permissions = ["admin.users"]
    db.session.commit()
    return world.lead


def edit_values(user: User, **changes) -> dict:
    values = dict(snapshot=services.user_snapshot(user), display_name=user.display_name, email=user.email,
                  phone=user.phone, unit=user.org_unit, roles=list(user.roles),
                  extra_permissions=list(user.extra_permissions or []), active=user.active)
    values.update(changes)
    return values


# --- org tree -------------------------------------------------------------------------------

def test_a_unit_at_a_level_not_below_its_parent_is_refused_and_nothing_is_saved(world):
    before = unit_count()
    for level in ("county", "city", "province", "nonsense"):
        with pytest.raises(ServiceError) as refused:
            services.create_unit(world.admin, code=f"BAD-{level}", name="错层级", level=level, parent=world.county)
        assert refused.value.field == "level"
        db.session.rollback()
    assert unit_count() == before


def test_a_grid_is_created_under_a_county_with_its_path(world):
    grid = services.create_unit(world.admin, code="G3", name="新网格", level="grid", parent=world.county)
    db.session.commit()
    assert grid.path == f"{world.county.path}{grid.id}/"


def test_a_duplicate_unit_code_is_refused_on_create_and_on_rename(world):
    with pytest.raises(ServiceError) as refused:
        services.create_unit(world.admin, code="G1", name="重复", level="grid", parent=world.county)
    assert refused.value.field == "code"
    db.session.rollback()
    with pytest.raises(ServiceError):
        services.update_unit(world.admin, world.grid2, code="G1", name="改名", sort_order=0,
                             snapshot=services.unit_snapshot(world.grid2))
    db.session.rollback()
    assert db.session.get(OrgUnit, world.grid2.id).code == "G2"


def test_moving_a_county_rewrites_the_paths_of_its_grids(world):
    other_city = make_unit("C2", "city", world.province)
    db.session.commit()
    services.move_unit(world.admin, world.county, other_city)
    db.session.commit()
    county, grid1, grid2 = (db.session.get(OrgUnit, u.id) for u in (world.county, world.grid1, world.grid2))
    assert county.parent_id == other_city.id
    assert county.path == f"{other_city.path}{county.id}/"
    assert grid1.path == f"{county.path}{grid1.id}/" and grid2.path == f"{county.path}{grid2.id}/"


def test_a_unit_cannot_move_below_itself_or_under_an_inactive_unit(world):
    with pytest.raises(ServiceError):
        services.move_unit(world.admin, world.city, world.county)
    db.session.rollback()
    spare = make_unit("C3", "city", world.province)
    services.set_unit_active(world.admin, spare, False)
    db.session.commit()
    with pytest.raises(ServiceError):
        services.move_unit(world.admin, world.other_county, spare)


def test_deactivating_a_unit_with_active_users_or_sub_units_is_refused(world):
    with pytest.raises(ServiceError, match="active user"):
        services.set_unit_active(world.admin, world.grid1, False)
    with pytest.raises(ServiceError, match="active sub-units"):
        services.set_unit_active(world.admin, world.city, False)
    db.session.rollback()
    assert db.session.get(OrgUnit, world.grid1.id).active is True


def test_an_empty_unit_is_deactivated_and_reactivated_only_under_an_active_parent(world):
    county = make_unit("X9", "county", world.city)
    grid = make_unit("G9", "grid", county)
    services.set_unit_active(world.admin, grid, False)
    services.set_unit_active(world.admin, county, False)
    with pytest.raises(ServiceError, match="Reactivate"):
        services.set_unit_active(world.admin, grid, True)
    with pytest.raises(ServiceError, match="inactive"):
        services.create_unit(world.admin, code="G10", name="x", level="grid", parent=county)
    services.set_unit_active(world.admin, county, True)
    services.set_unit_active(world.admin, grid, True)
    assert grid.active and county.active


def test_a_unit_admin_sees_and_changes_only_their_own_subtree(world):
    world.lead.extra_permissions = ["admin.org"]
    db.session.commit()
    visible = {u.code for u in db.session.execute(services.unit_query(world.lead)).scalars()}
    assert visible == {"X1", "G1", "G2"}
    with pytest.raises(NotFound):
        services.get_unit(world.lead, world.other_county.id)
    with pytest.raises(ServiceError):  # a province at the top is for admins of everything
        services.create_unit(world.lead, code="P2", name="x", level="province", parent=None)
    with pytest.raises(NotFound):
        services.create_unit(world.lead, code="G7", name="x", level="grid", parent=world.other_county)


def test_member_counts_cover_the_unit_and_everything_below(world):
    counts = services.member_counts([world.county.id, world.grid1.id, world.province.id])
    assert counts[world.grid1.id].direct == 1 and counts[world.grid1.id].total == 1
    assert counts[world.county.id].direct == 1 and counts[world.county.id].total == 3  # lead, am1, am2
    assert counts[world.province.id].total == 5


def test_a_stale_unit_edit_is_a_conflict(world):
    snapshot = services.unit_snapshot(world.grid1)
    services.update_unit(world.admin, world.grid1, code="G1", name="新名字", sort_order=0, snapshot=snapshot)
    with pytest.raises(Conflict):
        services.update_unit(world.admin, world.grid1, code="G1", name="另一个名字", sort_order=0, snapshot=snapshot)


# --- users ----------------------------------------------------------------------------------

def test_an_admin_creates_a_user_with_an_argon2_password(world):
    user = services.create_user(world.admin, username="NewAM", display_name="新经理", email="", phone="13900000000",
                                unit=world.grid1, roles=[roles()["account_manager"]], password="a long password")
    db.session.commit()
    assert user.username == "newam" and user.email is None
    assert user.password.startswith("$argon2")


def test_a_duplicate_username_or_email_is_refused(world):
    world.am1.email = "am1@example.com"
    db.session.commit()
    common = dict(display_name="x", phone=None, unit=world.grid1, roles=[roles()["account_manager"]],
                  password="a long password")
    with pytest.raises(ServiceError) as refused:
        services.create_user(world.admin, username="AM1", email=None, **common)
    assert refused.value.field == "username"
    with pytest.raises(ServiceError) as refused:
        services.create_user(world.admin, username="fresh", email="AM1@example.com", **common)
    assert refused.value.field == "email"


def test_a_short_password_or_no_role_or_no_unit_is_refused(world):
    base = dict(username="fresh", display_name="x", email=None, phone=None, unit=world.grid1,
                roles=[roles()["account_manager"]], password="a long password")
    for changes, field in (({"password": "short"}, "password"), ({"roles": []}, "roles"), ({"unit": None}, "unit")):
        with pytest.raises(ServiceError) as refused:
            services.create_user(world.admin, **{**base, **changes})
        assert refused.value.field == field
    assert db.session.execute(select(User).where(User.username == "fresh")).first() is None


def test_a_lead_admin_lists_only_users_of_their_unit_and_cannot_reach_others(world):
    lead = make_lead_admin(world)
    listed = {u.username for u in db.session.execute(services.user_query(lead)).scalars()}
    assert listed == {"lead", "am1", "am2"}
    with pytest.raises(NotFound):
        services.get_managed_user(lead, world.outsider.id)
    with pytest.raises(NotFound):
        services.get_managed_user(lead, world.admin.id)


@pytest.mark.plugins()  # the core grant rule with the core roles; plugins widen the AM role
def test_a_lead_admin_cannot_grant_roles_wider_than_their_own(world):
    lead = make_lead_admin(world)
    grantable = {role.name for role in services.grantable_roles(lead)}
    assert "province_admin" not in grantable and "system_admin" not in grantable
    assert "account_manager" in grantable
    with pytest.raises(ServiceError, match="cannot grant"):
        services.update_user(lead, world.am1, **edit_values(world.am1, roles=[roles()["province_admin"]]))
    with pytest.raises(ServiceError):
        services.create_user(lead, username="boss", display_name="x", email=None, phone=None, unit=world.grid1,
                             roles=[roles()["system_admin"]], password="a long password")
    with pytest.raises(ServiceError):  # nor a unit outside their county
        services.create_user(lead, username="far", display_name="x", email=None, phone=None,
                             unit=world.other_county, roles=[roles()["account_manager"]], password="a long password")


def test_nobody_changes_their_own_roles_permissions_or_active_flag(world):
    admin = world.admin
    for changes in ({"roles": [roles()["account_manager"]]}, {"extra_permissions": ["inbox.dispatch"]},
                    {"active": False}):
        with pytest.raises(NotAllowed):
            services.update_user(admin, admin, **edit_values(admin, **changes))
        db.session.rollback()
    admin = db.session.get(User, admin.id)
    assert admin.role_names == {"province_admin", "system_admin"} and admin.active
    services.update_user(admin, admin, **edit_values(admin, display_name="管理员"))
    assert admin.display_name == "管理员"


def test_an_admin_changes_roles_permissions_and_unit_of_another_user(world):
    services.update_user(world.admin, world.am1, **edit_values(
        world.am1, roles=[roles()["lead"]], extra_permissions=["admin.homepage"], unit=world.county))
    db.session.commit()
    am1 = db.session.get(User, world.am1.id)
    assert am1.role_names == {"lead"} and am1.org_unit_id == world.county.id
    assert am1.can("admin.homepage") and am1.can("inbox.dispatch")


def test_an_unknown_extra_permission_is_refused(world):
    with pytest.raises(ServiceError) as refused:
        services.update_user(world.admin, world.am1, **edit_values(world.am1, extra_permissions=["root.everything"]))
    assert refused.value.field == "extra_permissions"


def test_a_stale_user_edit_is_a_conflict_and_changes_nothing(world):
    stale = services.user_snapshot(world.am1)
    services.update_user(world.admin, world.am1, **edit_values(world.am1, phone="13811112222"))
    db.session.commit()
    with pytest.raises(Conflict):
        services.update_user(world.admin, world.am1, **edit_values(world.am1, snapshot=stale, phone="13700000000",
                                                                    display_name="被覆盖"))
    db.session.rollback()
    am1 = db.session.get(User, world.am1.id)
    assert am1.phone == "13811112222" and am1.display_name != "被覆盖"


def test_an_admin_resets_a_password_but_not_their_own(world):
    old_uniquifier = world.am1.fs_uniquifier
    services.reset_password(world.admin, world.am1, "a brand new secret")
    db.session.commit()
    assert db.session.get(User, world.am1.id).fs_uniquifier != old_uniquifier  # sessions end
    with pytest.raises(NotAllowed):
        services.reset_password(world.admin, world.admin, "a brand new secret")
    with pytest.raises(ServiceError):
        services.reset_password(world.admin, world.am2, "short")


def test_deactivating_yourself_is_refused(world):
    with pytest.raises(NotAllowed):
        services.set_user_active(world.admin, world.admin, False)
    services.set_user_active(world.admin, world.am2, False)
    assert world.am2.active is False


def test_hand_over_moves_open_todos_and_customers_and_deactivates(world):
    open_item = make_todo(world.am1, title="还没办")
    done_item = make_todo(world.am1, title="办完了")
    done_item.status = TodoStatus.DONE
    db.session.commit()
    result = services.hand_over_work(world.admin, world.am1, world.am2, deactivate=True)
    db.session.commit()
    assert (result.todos, result.customers) == (1, 1)
    with system_scope():
        assert db.session.get(TodoItem, open_item.id).owner_id == world.am2.id
        assert db.session.get(TodoItem, done_item.id).owner_id == world.am1.id
        customer = db.session.get(Customer, world.customers["am1"].id)
        assert customer.owner_id == world.am2.id and customer.org_unit_id == world.grid2.id
    am1 = db.session.get(User, world.am1.id)
    assert am1.active is False and am1.successor_id == world.am2.id


def test_a_lead_admin_cannot_hand_over_to_someone_outside_their_unit(world):
    lead = make_lead_admin(world)
    with pytest.raises(ServiceError):
        services.hand_over_work(lead, world.am1, world.outsider, deactivate=False)


# --- roles ----------------------------------------------------------------------------------

def test_editing_a_roles_permissions_takes_effect_for_its_holders(world):
    role = roles()["account_manager"]
    assert not world.am1.can("inbox.dispatch")
    services.update_role(world.admin, role, label="客户经理", permissions=sorted(role.get_permissions()) + ["inbox.dispatch"])
    db.session.commit()
    assert db.session.get(User, world.am1.id).can("inbox.dispatch")
    services.update_role(world.admin, role, label="客户经理", permissions=["api.use"])
    db.session.commit()
    am1 = db.session.get(User, world.am1.id)
    assert not am1.can("inbox.dispatch") and am1.can("api.use")


def test_an_admin_cannot_change_the_permissions_of_a_role_they_hold(world):
    role = roles()["system_admin"]
    with pytest.raises(NotAllowed):
        services.update_role(world.admin, role, label=role.label, permissions=[])
    services.update_role(world.admin, role, label="系统管理员", permissions=sorted(role.get_permissions()))
    assert role.label == "系统管理员"


def test_unknown_permissions_and_role_edits_by_unit_admins_are_refused(world):
    role = roles()["account_manager"]
    with pytest.raises(ServiceError):
        services.update_role(world.admin, role, label="x", permissions=["nope.never"])
    lead = make_lead_admin(world)
    with pytest.raises(NotAllowed):
        services.update_role(lead, role, label="x", permissions=[])


def test_custom_roles_are_created_and_deleted_only_while_nobody_holds_them(world):
    role = services.create_role(world.admin, name="callback_agent", label="回访专员", scope_level="own")
    db.session.commit()
    assert role.builtin is False
    for bad in (dict(name="callback_agent", label="x", scope_level="own"),
                dict(name="Bad Name!", label="x", scope_level="own"),
                dict(name="other_role", label="", scope_level="own"),
                dict(name="other_role", label="x", scope_level="galaxy")):
        with pytest.raises(ServiceError):
            services.create_role(world.admin, **bad)
    holder = make_user("callback_agent", world.grid1)
    db.session.commit()
    with pytest.raises(ServiceError, match="still holds"):
        services.delete_role(world.admin, role)
    services.set_user_active(world.admin, holder, False)
    services.update_user(world.admin, holder, **edit_values(holder, roles=[roles()["account_manager"]]))
    services.delete_role(world.admin, role)
    db.session.commit()
    assert db.session.execute(select(Role).where(Role.name == "callback_agent")).first() is None


def test_built_in_roles_cannot_be_deleted(world):
    with pytest.raises(ServiceError, match="Built-in"):
        services.delete_role(world.admin, roles()["intel_admin"])


def test_role_rows_count_holders(world):
    rows = {row.role.name: row for row in services.role_rows()}
    assert rows["account_manager"].active_users == 3
    assert rows["lead"].active_users == 1 and rows["intel_admin"].all_users == 0


# --- default homepage layouts ---------------------------------------------------------------

def test_a_role_layout_is_saved_and_shown_back_in_order(world):
    role = roles()["account_manager"]
    services.save_role_layout(world.admin, role, [{"key": "inbox.my_todos", "width": 8},
                                                  {"key": "homepage.quick_links", "width": 4}],
                              ["inbox.my_todos"])
    db.session.commit()
    rows = services.role_layout_rows(role)
    assert [(r.key, r.width, r.locked) for r in rows if r.included] == [
        ("inbox.my_todos", 8, True), ("homepage.quick_links", 4, False)]
    placed, _version = homepage.effective_layout(world.am1)
    assert [(p.key, p.locked) for p in placed][:2] == [("inbox.my_todos", True), ("homepage.quick_links", False)]


def test_a_role_layout_with_a_bad_width_or_a_lock_off_the_page_is_refused(world):
    role = roles()["account_manager"]
    with pytest.raises(ServiceError):
        services.save_role_layout(world.admin, role, [{"key": "inbox.my_todos", "width": 5}], [])
    with pytest.raises(ServiceError):
        services.save_role_layout(world.admin, role, [{"key": "inbox.my_todos", "width": 6}], ["customers.mine"])
    with pytest.raises(NotAllowed):
        services.save_role_layout(world.am1, role, [{"key": "inbox.my_todos", "width": 6}], [])


def test_the_overview_counts_within_reach(world):
    figures = services.overview(world.admin)
    assert figures.active_users == 5 and figures.active_units == 6
    lead = make_lead_admin(world)
    figures = services.overview(lead)
    assert figures.active_users == 3 and figures.active_units == 3


def test_before_a_role_layout_is_saved_the_form_shows_what_members_see(world):
    rows = services.role_layout_rows(roles()["account_manager"])
    included = {row.key for row in rows if row.included}
    assert "inbox.my_todos" in included and "customers.mine" in included
    assert "inbox.team_tasks" not in included  # the role lacks inbox.dispatch
    assert next(row for row in rows if row.key == "inbox.team_tasks").hidden_from_role


def test_a_default_permission_an_admin_removed_is_not_granted_again(world):
    from workbench.auth.services import ensure_builtin_roles

    lead_role = ensure_builtin_roles()["lead"]
    lead_role.permissions = [p for p in lead_role.permissions if p != "inbox.dispatch"]
    db.session.flush()
    ensure_builtin_roles()
    assert "inbox.dispatch" not in ensure_builtin_roles()["lead"].permissions


def test_an_admin_resets_a_lost_authenticator_and_the_user_is_signed_out(world):
    world.am1.tf_primary_method = "authenticator"
    world.am1.tf_totp_secret = "secret"
    before = world.am1.fs_uniquifier
    services.reset_two_factor(world.admin, world.am1)
    assert world.am1.tf_primary_method is None and world.am1.tf_totp_secret is None
    assert world.am1.fs_uniquifier != before
    with pytest.raises(ServiceError):
        services.reset_two_factor(world.admin, world.am1)  # nothing left to reset
    with pytest.raises(NotAllowed):
        services.reset_two_factor(world.admin, world.admin)
