"""Schema management: Alembic with the core base and one branch per plugin."""
from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(app: Flask) -> Config:
    """Alembic config whose version locations are the core's and each enabled plugin's."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(MIGRATIONS_DIR / "versions")]
    for plugin in app.extensions["workbench.plugins"].enabled:
        package = importlib.import_module(plugin.package or plugin.module_path.partition(":")[0])
        if not hasattr(package, "__path__"):
            continue  # a single-module plugin has no migrations folder
        versions = Path(package.__file__).parent / "migrations" / "versions"
        if versions.is_dir():
            locations.append(str(versions))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


def upgrade(app: Flask, revision: str = "heads") -> None:
    """Migrate the schema, then make sure the built-in roles exist and hold the default
    permissions of every enabled plugin (a newly installed plugin's rights reach its roles)."""
    from workbench.auth.services import ensure_builtin_roles
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    with app.app_context():
        command.upgrade(alembic_config(app), revision)
        if revision == "heads":
            with system_scope():
                ensure_builtin_roles()
                db.session.commit()


def current_heads(app: Flask) -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(app)).get_heads())
