"""The `probe` sample plugin: one small, real implementation of every hook, so each hook can
be shown to work end to end. Events it receives are kept per app in
app.extensions["probe"]["events"]."""
from __future__ import annotations

import click
from flask import Blueprint, current_app, render_template, render_template_string
from flask.cli import with_appcontext
from flask_security import auth_required, current_user

from workbench.contracts import CustomerSection, Manifest, MenuItem, Permission, SsoIdentity, TodoKind, Widget
from workbench.hookspecs import hookimpl

PROBE_ISSUER = "https://sso.probe.example"
EXPLODING_EVENT = "probe.explode"

bp = Blueprint("probe", __name__, url_prefix="/probe", template_folder="templates")


@bp.route("/")
@auth_required("session")
def index():
    return render_template("probe/index.html", shout=current_app.config["PROBE_GREETING"])


def hello_widget():
    return render_template_string('<p class="probe-widget">Hello {{ name }}</p>', name=current_user.username)


def broken_widget():
    raise RuntimeError("the probe widget is broken on purpose")


def notes_section(customer):
    return render_template_string('<p class="probe-section">Probe notes about {{ name }}</p>', name=customer.name)


def broken_section(customer):
    raise RuntimeError("the probe section is broken on purpose")


@click.command("probe-ping")
@click.option("--times", default=1, type=int)
@with_appcontext
def ping_command(times: int):
    """Answer pong, to prove plugin commands reach the `workbench` command."""
    click.echo(" ".join(["pong"] * times) + f" from {current_app.name}")


@hookimpl
def workbench_manifest():
    return Manifest(name="probe", title="Probe", version="1.2.3", description="Implements every hook")


@hookimpl
def workbench_init_app(app):
    app.config.setdefault("PROBE_GREETING", "hello from probe")
    app.jinja_env.filters["probe_shout"] = lambda text: f"{str(text).upper()}!"
    app.extensions["probe"] = {"events": []}


@hookimpl
def workbench_blueprints():
    return [bp]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("probe", "Probe page", "probe.index", icon="bi-broadcast", order=50),
        MenuItem("probe.admin", "Probe settings", "probe.index", icon="bi-gear", permission="probe.manage",
                 order=60),
    ]


@hookimpl
def workbench_permissions():
    return [Permission("probe.manage", "Manage the probe", default_roles=("lead",))]


@hookimpl
def workbench_todo_kinds():
    return [TodoKind("probe.check", "Check the probe", icon="bi-broadcast", can_mark_done=False)]


@hookimpl
def workbench_homepage_widgets():
    return [
        Widget("probe.hello", "Probe hello", hello_widget, default_width=4),
        Widget("probe.broken", "Probe broken", broken_widget, default_width=4),
        Widget("probe.managers", "Probe for managers", hello_widget, permission="probe.manage"),
    ]


@hookimpl
def workbench_customer_sections():
    return [
        CustomerSection("probe.notes", "Probe notes", notes_section, order=40),
        CustomerSection("probe.broken", "Probe broken section", broken_section, order=41),
    ]


@hookimpl
def workbench_cli_commands():
    return [ping_command]


@hookimpl
def workbench_handle_event(event):
    if event.name == EXPLODING_EVENT:
        raise RuntimeError("the probe handler explodes on purpose")
    current_app.extensions["probe"]["events"].append(event)


@hookimpl
def workbench_resolve_sso_user(claims):
    if claims.get("iss") != PROBE_ISSUER:
        return None
    return SsoIdentity(username=f"probe-{claims['sub']}", org_unit_code=claims["probe_unit"],
                       roles=("lead",), display_name="Probe person")
