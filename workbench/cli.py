"""The `workbench` command: demo, run, db, bench, plugins, users. Plugins add commands through the
workbench_cli_commands hook."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext


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
    from workbench.jobs.services import uses_broker

    if not uses_broker(app):  # no Redis: schedules and retries run in this process
        from workbench.jobs.scheduler import InProcessScheduler

        InProcessScheduler(app).start()
        click.echo("Background jobs run in this process (no WORKBENCH_REDIS_URL).")
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


from workbench.bench.cli import bench_group  # noqa: E402  (the group lives beside the generator)

main.add_command(bench_group)


@main.group("plugins")
def plugins_group():
    """Installed plugins: list them, or scaffold a new one."""


# Both commands load the app themselves (or not at all): AppGroup would otherwise create it
# before they run, and a plugin failing at start-up could not be reported by `list`.
@plugins_group.command("list", with_appcontext=False)
@click.pass_context
def plugins_list(ctx):
    """Each installed plugin, its version and whether it is enabled (WORKBENCH_PLUGINS)."""
    from workbench.plugins import PluginError

    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
    except PluginError as exc:
        # The app cannot start: say which plugin is at fault rather than print a traceback.
        raise click.ClickException(
            f"{exc}\nFix that plugin, or leave it out of WORKBENCH_PLUGINS to start without it."
        ) from exc
    registry = app.extensions["workbench.plugins"]
    if not registry.installed:
        click.echo("No plugins installed.")
        return
    with app.app_context():
        rows = [
            (plugin.name,
             plugin.manifest.version if plugin.manifest else _installed_version(plugin),
             "yes" if plugin.enabled else "no",
             str(plugin.manifest.title) if plugin.manifest else "")
            for plugin in registry.installed
        ]
    width = max(20, *(len(row[0]) + 1 for row in rows))
    click.echo(f"{'NAME':{width}} {'VERSION':10} {'ENABLED':8} TITLE")
    for name, version, enabled, title in rows:
        click.echo(f"{name:{width}} {version:10} {enabled:8} {title}".rstrip())


def _installed_version(plugin) -> str:
    """The version of a disabled plugin, from its distribution (its code is not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(plugin.distribution) if plugin.distribution else "?"
    except PackageNotFoundError:
        return "?"


@plugins_group.command("new", with_appcontext=False)
@click.argument("name")
@click.option("--path", "directory", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder in which the plugin's folder workbench-NAME is created.")
@click.option("--title", default=None, help="Human title (default: from NAME).")
def plugins_new(name: str, directory: Path, title: str | None):
    """Generate the plugin NAME as its own distribution, with a page, a to-do kind, a homepage
    widget, a migration and tests that pass as generated."""
    from workbench import scaffold

    try:
        scaffold.validate_name(name)
    except scaffold.ScaffoldError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    try:
        generated = scaffold.generate(name, directory, title=title)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created plugin {name!r} in {generated.root} ({len(generated.files)} files).")
    click.echo("Next steps:")
    click.echo(f"  cd {generated.root}")
    click.echo("  pip install -e .          # registers the entry point")
    click.echo("  python -m pytest          # the generated tests")
    click.echo("  workbench plugins list    # shows it as enabled")
    click.echo("Read docs/plugins.md of the workbench for every hook.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
