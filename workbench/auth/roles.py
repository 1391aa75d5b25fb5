"""The built-in roles and their data-scope levels. Permissions come from the hooks."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    label: object
    scope_level: str


BUILTIN_ROLES = (
    RoleDefinition("account_manager", _l("Account manager"), "own"),
    # 信息人: reports opportunities for customers in their own book; sees what they reported.
    RoleDefinition("info_reporter", _l("Information reporter"), "own"),
    RoleDefinition("lead", _l("Team lead / county manager"), "unit"),
    RoleDefinition("city_manager", _l("City manager"), "unit"),
    RoleDefinition("province_admin", _l("Province admin"), "all"),
    RoleDefinition("opportunity_manager", _l("Opportunity manager"), "unit"),
    RoleDefinition("contract_manager", _l("Contract manager"), "unit"),
    RoleDefinition("intel_admin", _l("Intelligence admin"), "unit"),
    RoleDefinition("knowledge_admin", _l("Knowledge admin"), "unit"),
    RoleDefinition("system_admin", _l("System admin"), "all"),
)

ADMIN_ROLES = frozenset({"province_admin", "system_admin"})
MANAGER_ROLES = ("lead", "city_manager", "province_admin")
