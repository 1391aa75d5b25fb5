"""The core's own hook implementations for accounts: permissions and the default SSO mapping."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from workbench.contracts import Permission, SsoIdentity
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_permissions():
    return [
        Permission("admin.users", _l("Manage users and roles"), ("province_admin", "system_admin")),
        Permission("admin.org", _l("Manage the org tree"), ("province_admin", "system_admin")),
        Permission("admin.plugins", _l("See installed plugins"), ("system_admin",)),
        Permission("api.use", _l("Use the JSON API with a token"),
                   ("account_manager", "lead", "city_manager", "province_admin", "system_admin")),
    ]


@hookimpl(trylast=True)
def workbench_resolve_sso_user(claims):
    """Default mapping: the unit code and roles come straight from configured claims."""
    config = current_app.config
    unit_code = claims.get(config["WORKBENCH_OIDC_UNIT_CLAIM"])
    username = claims.get("preferred_username") or claims.get("sub")
    if not unit_code or not username:
        return None
    return SsoIdentity(
        username=str(username),
        org_unit_code=str(unit_code),
        roles=_role_names(claims.get(config["WORKBENCH_OIDC_ROLES_CLAIM"])),
        display_name=claims.get("name") or "",
        email=claims.get("email"),
        phone=claims.get("phone_number"),
    )


def _role_names(value) -> tuple[str, ...]:
    """Role names from the roles claim: a list, or one string separated by commas or
    semicolons. Someone with no roles in the directory is an account manager."""
    if isinstance(value, str):
        names = value.replace(";", ",").split(",")
    elif isinstance(value, (list, tuple)):
        names = [str(item) for item in value]
    else:
        names = []
    cleaned = tuple(name.strip() for name in names if name.strip())
    return cleaned or ("account_manager",)
