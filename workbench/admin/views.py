"""Administration pages: the overview, the org tree, users (with hand-over 交接), roles and
their permissions, default homepage layouts per role, and the installed plugins.

Views are thin: they read forms and call workbench.admin.services, which holds the rules
(who may manage what, stale-form detection, what may be granted).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import auth_required, current_user
from sqlalchemy import select

from workbench.admin import services
from workbench.admin.forms import (ActionForm, HandOverForm, PasswordResetForm, RoleCreateForm,
                                   RoleEditForm, UnitForm, UnitMoveForm, UserCreateForm, UserEditForm)
from workbench.auth.models import Role, User
from workbench.errors import Conflict, NotFound, ServiceError
from workbench.extensions import db
from workbench.homepage.services import WIDTHS
from workbench.org import services as org
from workbench.org.models import OrgUnit
from workbench.page_actions import run_page_action
from workbench.plugins import registry

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN_PERMISSIONS = ("admin.users", "admin.org", "admin.homepage", "admin.plugins")
UNITS_PER_PAGE = 100
USERS_PER_PAGE = 25


def requires(permission: str):
    """Signed in and holding `permission`, else 403."""

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return auth_required("session")(checked)

    return decorator


def _or_404(load, *args):
    try:
        return load(*args)
    except NotFound:
        abort(404)


def _show_error(form, exc: ServiceError) -> None:
    """Put a service refusal beside its field when the form has that field, else at the top."""
    field = getattr(form, exc.field, None) if (form is not None and exc.field) else None
    if field is not None and isinstance(field.errors, (list, tuple)):
        field.errors = list(field.errors) + [str(exc.message)]
    else:
        flash(str(exc.message), "danger")


def _unit_label(unit: OrgUnit) -> str:
    # Option text cannot be styled; non-breaking spaces keep the indentation visible.
    indent = "\u00a0\u00a0\u00a0" * max(unit.depth - 1, 0)
    inactive = "" if unit.active else f" — {_('inactive')}"
    return f"{indent}{unit.name} ({unit.code}){inactive}"


def _unit_choices(units) -> list[tuple[int, str]]:
    return [(unit.id, _unit_label(unit)) for unit in units]


def _unit_from(unit_id) -> OrgUnit | None:
    return db.session.get(OrgUnit, unit_id) if unit_id else None


# --- overview ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdminArea:
    title: object
    description: object
    endpoint: str
    icon: str
    figure: object
    figure_label: object


@bp.route("/")
@auth_required("session")
def index():
    if not any(current_user.can(permission) for permission in ADMIN_PERMISSIONS):
        abort(403)
    figures = services.overview(current_user)
    areas = []
    if current_user.can("admin.org"):
        areas.append(AdminArea(_l("Org tree"), _l("Provinces, cities, counties and grids; add, rename, move, deactivate."),
                               "admin.units", "bi-diagram-3", figures.active_units, _l("active units")))
    if current_user.can("admin.users"):
        areas.append(AdminArea(_l("Users"), _l("Accounts, roles, extra permissions, passwords and hand-over."),
                               "admin.users", "bi-people", figures.active_users,
                               _l("active users, %(inactive)d inactive", inactive=figures.inactive_users)))
        areas.append(AdminArea(_l("Roles"), _l("What each role may do and how far it sees."),
                               "admin.roles", "bi-person-badge", figures.roles, _l("roles")))
    if current_user.can("admin.homepage"):
        areas.append(AdminArea(_l("Default homepages"), _l("The widgets each role starts with, and which are locked."),
                               "admin.layouts", "bi-grid-1x2", figures.role_layouts, _l("roles with a layout")))
    if current_user.can("admin.plugins"):
        areas.append(AdminArea(_l("Plugins"), _l("Installed modules, their versions and whether they are on."),
                               "admin.plugins", "bi-puzzle", figures.plugins_enabled,
                               _l("enabled of %(installed)d installed", installed=figures.plugins_installed)))
    return render_template("admin/index.html", areas=areas)


# --- org units -----------------------------------------------------------------------------

@bp.route("/org/")
@requires("admin.org")
def units():
    filters = services.UnitFilter(q=request.args.get("q") or None,
                                  include_inactive=request.args.get("inactive") == "1")
    page = db.paginate(services.unit_query(current_user, filters), page=request.args.get("page", 1, type=int),
                       per_page=UNITS_PER_PAGE, error_out=False)
    counts = services.member_counts([unit.id for unit in page.items])
    return render_template("admin/units.html", page=page, filters=filters, counts=counts,
                           levels=services.UNIT_LEVEL_LABELS,
                           can_add_top=services.reach_of(current_user).everything)


def _level_below(level: str | None) -> str:
    if level is None:
        return org.LEVEL_ORDER[0]
    index = org.LEVEL_ORDER.index(level)
    return org.LEVEL_ORDER[min(index + 1, len(org.LEVEL_ORDER) - 1)]


@bp.route("/org/new", methods=["GET", "POST"])
@requires("admin.org")
def new_unit():
    form = UnitForm()
    del form.snapshot
    choices = _unit_choices(services.managed_units(current_user))
    if services.reach_of(current_user).everything:
        choices.insert(0, (0, _("— none: a new province at the top —")))
    form.parent.choices = choices
    if request.method == "GET":
        parent = _unit_from(request.args.get("parent", type=int))
        if parent is not None:
            form.parent.data = parent.id
        form.level.data = _level_below(parent.level if parent else None)
    if form.validate_on_submit():
        parent = _unit_from(form.parent.data)
        if form.parent.data and parent is None:
            form.parent.errors.append(_("Choose the parent unit."))
        else:
            try:
                unit = services.create_unit(current_user, code=form.code.data, name=form.name.data,
                                            level=form.level.data, parent=parent,
                                            sort_order=form.sort_order.data or 0)
            except NotFound:
                db.session.rollback()
                form.parent.errors.append(_("Choose a unit you manage."))
            except ServiceError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                flash(_("Unit %(name)s created.", name=unit.name), "success")
                return redirect(url_for("admin.units", _anchor=f"unit-{unit.id}"))
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/org/<int:unit_id>", methods=["GET", "POST"])
@requires("admin.org")
def edit_unit(unit_id: int):
    unit = _or_404(services.get_unit, current_user, unit_id)
    form = UnitForm(obj=unit)
    del form.parent, form.level
    if request.method == "GET":
        form.snapshot.data = services.unit_snapshot(unit)
    if form.validate_on_submit():
        try:
            services.update_unit(current_user, unit, code=form.code.data, name=form.name.data,
                                 sort_order=form.sort_order.data, snapshot=form.snapshot.data)
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for("admin.edit_unit", unit_id=unit_id))
        except ServiceError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Unit saved."), "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit_id))
    move_form = UnitMoveForm()
    move_form.parent.choices = _unit_choices(services.parent_choices(current_user, unit))
    move_form.parent.data = unit.parent_id
    children = db.session.execute(select(OrgUnit).where(OrgUnit.parent_id == unit.id)
                                  .order_by(OrgUnit.sort_order, OrgUnit.name)).scalars().all()
    counts = services.member_counts([unit.id] + [child.id for child in children])
    return render_template("admin/unit_edit.html", unit=unit, form=form, move_form=move_form,
                           ancestors=org.ancestors(unit), reach=services.reach_of(current_user),
                           action_form=ActionForm(), children=children, counts=counts,
                           levels=services.UNIT_LEVEL_LABELS)


@bp.route("/org/<int:unit_id>/move", methods=["POST"])
@requires("admin.org")
def move_unit(unit_id: int):
    unit = _or_404(services.get_unit, current_user, unit_id)
    form = UnitMoveForm()
    if form.validate_on_submit():
        new_parent = _unit_from(form.parent.data)
        try:
            if new_parent is None:
                raise NotFound(_l("Unit not found."))
            services.move_unit(current_user, unit, new_parent)
        except NotFound:
            db.session.rollback()
            flash(_("Choose a unit you manage to move this one under."), "danger")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Unit moved; the units below it moved with it."), "success")
    else:
        flash(_("Choose a unit you manage to move this one under."), "danger")
    return redirect(url_for("admin.edit_unit", unit_id=unit_id))


@bp.route("/org/<int:unit_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@requires("admin.org")
def set_unit_active(unit_id: int, action: str):
    unit = _or_404(services.get_unit, current_user, unit_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_page_action(lambda: services.set_unit_active(current_user, unit, action == "reactivate"),
                    _("Unit reactivated.") if action == "reactivate" else _("Unit deactivated."))
    return redirect(url_for("admin.edit_unit", unit_id=unit_id))


# --- users ---------------------------------------------------------------------------------

def _role_choices(roles) -> list[tuple[int, str]]:
    return [(role.id, str(role.label or role.name)) for role in roles]


def _roles_from(ids) -> list[Role]:
    if not ids:
        return []
    return db.session.execute(select(Role).where(Role.id.in_(ids))).scalars().all()


@bp.route("/users/")
@requires("admin.users")
def users():
    active = request.args.get("active", "1")
    filters = services.UserFilter(q=request.args.get("q") or None, unit_id=request.args.get("unit", type=int),
                                  role=request.args.get("role") or None,
                                  active=active if active in ("0", "1") else None)
    page = db.paginate(services.user_query(current_user, filters), page=request.args.get("page", 1, type=int),
                       per_page=USERS_PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, filters=filters, active=active,
                           units=services.managed_units(current_user, active_only=False),
                           unit_label=_unit_label, roles=services.all_roles())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user():
    form = UserCreateForm()
    form.unit.choices = [(0, _("— choose a unit —"))] + _unit_choices(services.managed_units(current_user))
    form.roles.choices = _role_choices(services.grantable_roles(current_user))
    if request.method == "GET" and request.args.get("unit", type=int):
        form.unit.data = request.args.get("unit", type=int)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user, username=form.username.data, display_name=form.display_name.data,
                email=form.email.data, phone=form.phone.data, unit=_unit_from(form.unit.data),
                roles=_roles_from(form.roles.data), password=form.password.data)
        except ServiceError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s created. Give them their initial password in person.", name=user.name), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


def _user_page(user: User, form: UserEditForm, status: int = 200):
    is_self = user.id == current_user.id
    grantable_permissions = services.grantable_permissions(current_user)
    return render_template(
        "admin/user_edit.html", user=user, form=form, is_self=is_self,
        permission_groups=services.permission_groups(set(grantable_permissions)),
        password_form=PasswordResetForm(), action_form=ActionForm(),
        role_permissions=set().union(*(role.get_permissions() for role in user.roles)) if user.roles else set(),
    ), status


def _edit_form(user: User) -> UserEditForm:
    form = UserEditForm(obj=user if request.method == "GET" else None)
    choices = services.managed_units(current_user)
    if user.org_unit is not None and user.org_unit not in choices:
        choices = [user.org_unit] + list(choices)  # keep an inactive current unit selectable
    form.unit.choices = _unit_choices(choices)
    if user.org_unit is None:  # never place someone in a unit silently
        form.unit.choices.insert(0, (0, _("— choose a unit —")))
    form.roles.choices = _role_choices(services.grantable_roles(current_user))
    form.extra_permissions.choices = [(name, str(p.label)) for name, p in
                                      services.grantable_permissions(current_user).items()]
    if request.method == "GET":
        form.unit.data = user.org_unit_id
        form.roles.data = [role.id for role in user.roles]
        form.extra_permissions.data = list(user.extra_permissions or [])
        form.snapshot.data = services.user_snapshot(user)
    return form


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.users")
def edit_user(user_id: int):
    user = _or_404(services.get_managed_user, current_user, user_id)
    form = _edit_form(user)
    if form.validate_on_submit():
        is_self = user.id == current_user.id
        # On their own page the role and permission boxes are not shown; only a request that
        # really sends them asks for a change (and the service refuses it).
        roles = _roles_from(form.roles.data) if ("roles" in request.form or not is_self) else None
        permissions = (list(form.extra_permissions.data or [])
                       if ("extra_permissions" in request.form or not is_self) else None)
        try:
            services.update_user(
                current_user, user, snapshot=form.snapshot.data, display_name=form.display_name.data,
                email=form.email.data, phone=form.phone.data, unit=_unit_from(form.unit.data),
                roles=roles, extra_permissions=permissions, active=form.active.data)
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for("admin.edit_user", user_id=user_id))
        except ServiceError as exc:
            db.session.rollback()
            db.session.refresh(user)
            _show_error(form, exc)
            return _user_page(user, form, exc.status_code)
        else:
            db.session.commit()
            flash(_("User saved."), "success")
            return redirect(url_for("admin.edit_user", user_id=user_id))
    return _user_page(user, form)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("admin.users")
def reset_password(user_id: int):
    user = _or_404(services.get_managed_user, current_user, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(current_user, user, form.password.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Password reset. %(name)s is signed out everywhere and signs in with the new one.",
                    name=user.name), "success")
    else:
        for errors in form.errors.values():
            flash(errors[0], "danger")
            break
    return redirect(url_for("admin.edit_user", user_id=user_id, _anchor="password"))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires("admin.users")
def reset_two_factor(user_id: int):
    user = _or_404(services.get_managed_user, current_user, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_page_action(lambda: services.reset_two_factor(current_user, user),
                    _("Two-factor sign-in of %(name)s was reset.", name=user.name))
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/<any(deactivate, activate):action>", methods=["POST"])
@requires("admin.users")
def set_user_active(user_id: int, action: str):
    user = _or_404(services.get_managed_user, current_user, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_page_action(lambda: services.set_user_active(current_user, user, action == "activate"),
                    _("User reactivated.") if action == "activate" else _("User deactivated."))
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/hand-over", methods=["GET", "POST"])
@requires("admin.users")
def hand_over(user_id: int):
    user = _or_404(services.get_managed_user, current_user, user_id)
    form = HandOverForm()
    candidates = services.successor_choices(current_user, user)
    form.successor.choices = [(c.id, f"{c.name} ({c.username}) · {c.org_unit.name}") for c in candidates]
    if request.method == "GET" and user.id == current_user.id:
        form.deactivate.data = False
    if form.validate_on_submit():
        successor = next((c for c in candidates if c.id == form.successor.data), None)
        if successor is None:
            form.successor.errors.append(_("Choose an active person you manage."))
        else:
            try:
                result = services.hand_over_work(current_user, user, successor, form.deactivate.data)
            except ServiceError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                flash(_("Handed over to %(successor)s. Open to-dos moved: %(todos)d; customers moved: "
                        "%(customers)d.", successor=successor.name, todos=result.todos,
                        customers=result.customers), "success")
                return redirect(url_for("admin.edit_user", user_id=user_id))
    return render_template("admin/hand_over.html", user=user, form=form, candidates=candidates)


# --- roles ---------------------------------------------------------------------------------

@bp.route("/roles/")
@requires("admin.users")
def roles():
    return render_template("admin/roles.html", rows=services.role_rows(), scopes=services.ROLE_SCOPE_LABELS,
                           can_edit=services.can_edit_roles(current_user), action_form=ActionForm())


@bp.route("/roles/new", methods=["GET", "POST"])
@requires("admin.users")
def new_role():
    if not services.can_edit_roles(current_user):
        abort(403)
    form = RoleCreateForm()
    if form.validate_on_submit():
        try:
            role = services.create_role(current_user, name=form.name.data, label=form.label.data,
                                        scope_level=form.scope_level.data)
        except ServiceError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Role created. Now choose what it may do."), "success")
            return redirect(url_for("admin.edit_role", role_id=role.id))
    return render_template("admin/role_new.html", form=form)


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@requires("admin.users")
def edit_role(role_id: int):
    role = _or_404(services.get_role, role_id)
    can_edit = services.can_edit_roles(current_user)
    form = RoleEditForm(obj=role if request.method == "GET" else None)
    form.permissions.choices = [(name, str(p.label)) for name, p in registry().permissions.items()]
    if request.method == "GET":
        form.permissions.data = sorted(role.get_permissions())
    if request.method == "POST":
        if not can_edit:
            abort(403)
        if form.validate_on_submit():
            try:
                services.update_role(current_user, role, label=form.label.data,
                                     permissions=list(form.permissions.data or []))
            except ServiceError as exc:
                db.session.rollback()
                db.session.refresh(role)
                _show_error(form, exc)
            else:
                db.session.commit()
                flash(_("Role saved. The change applies to everyone holding it."), "success")
                return redirect(url_for("admin.edit_role", role_id=role_id))
    held = role.id in {r.id for r in current_user.roles}
    return render_template("admin/role_edit.html", role=role, form=form, can_edit=can_edit, held=held,
                           groups=services.permission_groups(), scopes=services.ROLE_SCOPE_LABELS,
                           checked=set(form.permissions.data or []))


@bp.route("/roles/<int:role_id>/delete", methods=["POST"])
@requires("admin.users")
def delete_role(role_id: int):
    role = _or_404(services.get_role, role_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_role(current_user, role)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("admin.roles"))
    db.session.commit()
    flash(_("Role deleted."), "success")
    return redirect(url_for("admin.roles"))


# --- default homepage layouts --------------------------------------------------------------

@bp.route("/homepage/")
@requires("admin.homepage")
def layouts():
    return render_template("admin/layouts.html", roles=services.all_roles(),
                           summary=services.role_layout_summary())


def _posted_layout() -> tuple[list[str], list[dict], list[str]]:
    """(row order, included widgets with widths, locked keys) from the layout form."""
    order = request.form.getlist("key")
    included = set(request.form.getlist("include"))
    items = []
    for key in order:
        if key in included:
            width = request.form.get(f"width-{key}", type=int)
            items.append({"key": key, "width": width})
    return order, items, request.form.getlist("locked")


def _moved(order: list[str], move: str) -> list[str]:
    key, _sep, direction = move.rpartition(":")
    if key not in order:
        return order
    index = order.index(key)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    return order


@bp.route("/homepage/<int:role_id>", methods=["GET", "POST"])
@requires("admin.homepage")
def edit_layout(role_id: int):
    role = _or_404(services.get_role, role_id)
    form = ActionForm()
    rows = services.role_layout_rows(role)
    status = 200
    if form.validate_on_submit():
        order, items, locked = _posted_layout()
        move = request.form.get("move")
        if move:
            # The no-script path: up/down buttons submit the form; nothing is saved yet.
            order = _moved(order, move)
            included = {item["key"] for item in items}
            widths = {item["key"]: item["width"] for item in items}
            items = [{"key": key, "width": widths[key]} for key in order if key in included]
            rows = services.role_layout_rows(role, items, locked)
            flash(_("Order changed. Save to keep it."), "info")
        else:
            try:
                services.save_role_layout(current_user, role, items, locked)
            except ServiceError as exc:
                db.session.rollback()
                flash(str(exc.message), "danger")
                rows = services.role_layout_rows(role, [i for i in items], locked)
                status = 400
            else:
                db.session.commit()
                flash(_("Default homepage of %(role)s saved. People who never arranged their own "
                        "homepage see it at once; locked widgets appear for everyone holding the role.",
                        role=role.label or role.name), "success")
                return redirect(url_for("admin.edit_layout", role_id=role_id))
    return render_template("admin/layout_edit.html", role=role, rows=rows, form=form, widths=WIDTHS,
                           has_layout=role.id in services.role_layout_summary()), status


# --- plugins -------------------------------------------------------------------------------

@bp.route("/plugins/")
@requires("admin.plugins")
def plugins():
    return render_template("admin/plugins.html", plugins=registry().installed)
