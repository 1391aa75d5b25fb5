"""A plugin installed as its own distribution appears with no change to the core.

tests/fixtures/workbench_hello is pip-installed into a temporary --target folder (conftest
`hello_site`); the workbench finds it through its `workbench.plugins` entry point, both in a
fresh `workbench plugins list` process and in an app of this process, and the allow-list
disables it.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.cli import main
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.org.scope import system_scope
from workbench.plugins import installed_plugins, registry

pytestmark = pytest.mark.slow


def run_plugins_list(site, tmp_path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key not in ("WORKBENCH_PLUGINS", "WORKBENCH_DATABASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["WORKBENCH_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([sys.executable, "-m", "workbench.cli", "plugins", "list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def test_an_installed_distribution_is_listed_enabled_by_a_new_workbench_process(hello_site, tmp_path):
    result = run_plugins_list(hello_site, tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["hello"][:2] == ["0.3.1", "yes"]  # then its title, in the reader's language


@pytest.mark.usefixtures("hello_on_path")
def test_the_entry_point_is_found_through_importlib_metadata(hello_site):
    assert ("hello", "workbench_hello.plugin", "workbench-hello") in installed_plugins()


@pytest.mark.usefixtures("hello_app")
def test_an_app_loads_the_installed_plugin_page_widget_and_to_do_kind(app, world, client_for):
    hello = registry().get("hello")
    assert hello.enabled and hello.distribution == "workbench-hello" and hello.manifest.version == "0.3.1"
    assert "hello.greet" in registry().todo_kinds

    client = client_for(world.am1)
    page = client.get("/hello/")
    assert page.status_code == 200 and "Hello from a plugin" in page.get_data(as_text=True)
    assert 'data-key="hello.greeting"' in client.get("/").get_data(as_text=True)
    widget = client.get("/homepage/widgets/hello.greeting")
    assert widget.status_code == 200 and "hello-widget" in widget.get_data(as_text=True)

    with system_scope():
        item = inbox.open_todo(kind="hello.greet", title="Say hello to the bureau", assignee=world.am1)
        db.session.commit()
    assert item.kind == "hello.greet"


@pytest.mark.usefixtures("hello_app")
def test_the_installed_plugin_s_table_is_checked_and_created(app):
    from workbench_hello.models import HelloGreeting

    assert HelloGreeting.__tablename__ == "hello_greeting"
    assert "hello_greeting" in db.metadata.tables


@pytest.mark.usefixtures("hello_app")
@pytest.mark.plugins()
def test_the_allow_list_disables_the_installed_plugin(app, world, client_for):
    result = app.test_cli_runner().invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    row = next(line.split() for line in result.output.splitlines() if line.startswith("hello "))
    assert row == ["hello", "0.3.1", "no"]  # version from the distribution's metadata

    assert registry().get("hello").enabled is False
    assert "hello.greet" not in registry().todo_kinds
    client = client_for(world.am1)
    assert client.get("/hello/").status_code == 404
    assert 'data-key="hello.greeting"' not in client.get("/").get_data(as_text=True)
