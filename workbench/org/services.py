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
    db.session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_prefix))
        .values(path=new_prefix + db.func.substr(OrgUnit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    unit.parent_id = new_parent.id
    db.session.expire_all()


def unit_by_code(code: str) -> OrgUnit | None:
    return db.session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one_or_none()


def tree() -> list[OrgUnit]:
    """All units in tree order (path order puts children right after their parent)."""
    return db.session.execute(select(OrgUnit).order_by(OrgUnit.path)).scalars().all()
