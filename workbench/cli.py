"""The `workbench` command: demo, run, db, plugins, users. Plugins add commands through the
workbench_cli_commands hook."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from workbench import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main():
    """Account-manager workbench."""


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the database and demo data.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool):
    """Create the database, load demo data and serve the workbench."""
    from workbench import database
    from workbench.demo import DEMO_PASSWORD, seed_demo

    app = current_app._get_current_object()
    database.upgrade(app)
    created = seed_demo()
    click.echo(("Demo data loaded." if created else "Demo data already present.")
               + f" Data directory: {app.config['DATA_DIR']}")
    click.echo(f"Demo accounts: admin, lead, am1, am2 — password '{DEMO_PASSWORD}' (demo only).")
    if no_serve:
        return
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@main.group("db")
def db_group():
    """Database schema (Alembic: core base + one branch per plugin)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str):
    """Apply migrations up to REVISION (default: every branch head)."""
    from workbench import database

    database.upgrade(current_app._get_current_object(), revision)
    click.echo("Database is up to date.")


@db_group.command("heads")
@with_appcontext
def db_heads():
    """Show the migration heads of the core and each plugin branch."""
    from workbench import database

    for head in database.current_heads(current_app._get_current_object()):
        click.echo(head)


@main.group("plugins")
def plugins_group():
    """Installed plugins."""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """Each installed plugin, its version and whether it is enabled."""
    registry = current_app.extensions["workbench.plugins"]
    if not registry.installed:
        click.echo("No plugins installed.")
        return
    click.echo(f"{'NAME':20} {'VERSION':10} {'ENABLED':8} TITLE")
    for plugin in registry.installed:
        manifest = plugin.manifest
        version = manifest.version if manifest else _installed_version(plugin)
        title = str(manifest.title) if manifest else ""
        click.echo(f"{plugin.name:20} {version:10} {'yes' if plugin.enabled else 'no':8} {title}")


def _installed_version(plugin) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(plugin.distribution) if plugin.distribution else "?"
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
