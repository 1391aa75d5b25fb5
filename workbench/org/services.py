"""Rules of the org tree: creating and moving units keeps the materialised paths right."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.org.models import OrgUnit, UnitLevel

LEVEL_ORDER = [level.value for level in UnitLevel]


def _check_level(level: str, parent: OrgUnit | None) -> None:
    if level not in LEVEL_ORDER:
        raise ServiceError(_l("Unknown unit level: %(level)s", level=level), field="level")
    if parent is None and level != UnitLevel.PROVINCE.value:
        raise ServiceError(_l("Only a province can be at the top of the tree."), field="parent")
    if parent is not None and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise ServiceError(
            _l("A %(level)s unit cannot sit under a %(parent)s unit.", level=level, parent=parent.level),
            field="level",
        )


def create_unit(*, code: str, name: str, level: str, parent: OrgUnit | None = None,
                sort_order: int = 0) -> OrgUnit:
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise ServiceError(_l("The unit code is required."), field="code")
    if not name:
        raise ServiceError(_l("The unit name is required."), field="name")
    _check_level(level, parent)
    if db.session.execute(select(OrgUnit.id).where(OrgUnit.code == code)).first():
        raise ServiceError(_l("A unit with code %(code)s already exists.", code=code), field="code")
    unit = OrgUnit(code=code, name=name, level=level, parent_id=parent.id if parent else None,
                   sort_order=sort_order, path="")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def move_unit(unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Re-parent a unit; every descendant's path is rewritten in one UPDATE."""
    if new_parent.is_within(unit):
        raise ServiceError(_l("A unit cannot move below itself."), field="parent")
    _check_level(unit.level, new_parent)
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.id}/"
    # Flushed before the expire_all below, which would otherwise discard the new parent.
    unit.parent_id = new_parent.id
    db.session.flush()
    db.session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_prefix))
        .values(path=new_prefix + db.func.substr(OrgUnit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def unit_by_code(code: str) -> OrgUnit | None:
    return db.session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one_or_none()


def tree() -> list[OrgUnit]:
    """All units in tree order (path order puts children right after their parent)."""
    return db.session.execute(select(OrgUnit).order_by(OrgUnit.path)).scalars().all()


def update_unit(unit: OrgUnit, *, code: str, name: str, sort_order: int | None = None) -> OrgUnit:
    """Rename a unit or change its code; codes stay unique across the tree."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise ServiceError(_l("The unit code is required."), field="code")
    if not name:
        raise ServiceError(_l("The unit name is required."), field="name")
    taken = db.session.execute(
        select(OrgUnit.id).where(OrgUnit.code == code, OrgUnit.id != unit.id)
    ).first()
    if taken:
        raise ServiceError(_l("A unit with code %(code)s already exists.", code=code), field="code")
    unit.code, unit.name = code, name
    if sort_order is not None:
        unit.sort_order = sort_order
    return unit


def deactivate_unit(unit: OrgUnit) -> None:
    """Switch a unit off. Units are never deleted: records keep pointing at them. A unit that
    still has active people or active sub-units is refused, so nobody is left in a dead unit."""
    from flask_babel import lazy_ngettext
    from sqlalchemy import func

    from workbench.auth.models import User  # auth imports org; import here to avoid a cycle

    if not unit.active:
        return
    users = db.session.execute(
        select(func.count(User.id)).where(User.org_unit_id == unit.id, User.active.is_(True))
    ).scalar_one()
    if users:
        raise ServiceError(lazy_ngettext(
            "%(name)s still has %(num)d active user. Move them to another unit or "
            "deactivate them first.",
            "%(name)s still has %(num)d active users. Move them to another unit or "
            "deactivate them first.", users, name=unit.name))
    children = db.session.execute(
        select(func.count(OrgUnit.id)).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True))
    ).scalar_one()
    if children:
        raise ServiceError(lazy_ngettext(
            "%(name)s still has %(num)d active sub-unit. Deactivate or move it first.",
            "%(name)s still has %(num)d active sub-units. Deactivate or move them first.",
            children, name=unit.name))
    unit.active = False


def reactivate_unit(unit: OrgUnit) -> None:
    """Switch a unit back on; its parent must be active, or the unit would hang off a dead branch."""
    if unit.parent is not None and not unit.parent.active:
        raise ServiceError(_l(
            "Reactivate %(parent)s first: a unit cannot be active under an inactive one.",
            parent=unit.parent.name))
    unit.active = True


def ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The units above `unit`, from the top down (read off its path in one query)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    return db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.path)).scalars().all()
