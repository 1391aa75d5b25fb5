"""`workbench plugins new NAME`: names are validated with a clear message, and the generated
distribution — a page, a to-do kind, a widget, a migration — passes the tests it comes with."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from click.testing import CliRunner

from workbench import scaffold
from workbench.cli import main


def new_plugin(*args: str):
    return CliRunner().invoke(main, ["plugins", "new", *args])


@pytest.mark.parametrize("name, message", [
    ("Visits", "lowercase, e.g. 'visits'"),
    ("site-visits", "Python identifier"),
    ("1visits", "Python identifier"),
    ("class", "Python keyword"),
    ("inbox", "already used by the core or an installed plugin"),
    ("customers", "already used by the core or an installed plugin"),
    ("v" * 31, "longer than 30 characters"),
])
def test_a_bad_name_is_refused_with_a_clear_message_and_nothing_is_written(tmp_path, name, message):
    result = new_plugin(name, "--path", str(tmp_path))
    assert result.exit_code == 2
    assert message in result.output and "Invalid value for NAME" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_name_of_an_installed_plugin_is_refused(tmp_path, monkeypatch):
    import workbench.plugins as plugins

    monkeypatch.setattr(plugins, "installed_plugins", lambda: [("visits", "workbench_visits.plugin", "workbench-visits")])
    result = new_plugin("visits", "--path", str(tmp_path))
    assert result.exit_code == 2 and "already used by the core or an installed plugin" in result.output


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "workbench-visits").mkdir()
    (tmp_path / "workbench-visits" / "keep.txt").write_text("mine")
    result = new_plugin("visits", "--path", str(tmp_path))
    assert result.exit_code == 1 and "already exists" in result.output
    assert [p.name for p in (tmp_path / "workbench-visits").iterdir()] == ["keep.txt"]


def test_a_title_that_would_break_the_generated_code_is_refused(tmp_path):
    result = new_plugin("visits", "--path", str(tmp_path), "--title", 'Say "hi"')
    assert result.exit_code == 1 and "without quotes" in result.output
    assert not (tmp_path / "workbench-visits").exists()


def test_the_generated_distribution_declares_its_entry_point_prefix_and_migration_branch(tmp_path):
    result = new_plugin("site_visits", "--path", str(tmp_path), "--title", "Site visits")
    assert result.exit_code == 0, result.output
    root = tmp_path / "workbench-site_visits"
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "workbench-site_visits"
    assert project["project"]["entry-points"]["workbench.plugins"] == {"site_visits": "workbench_site_visits.plugin"}

    package = root / "workbench_site_visits"
    for relative in ("__init__.py", "plugin.py", "models.py", "services.py", "forms.py", "views.py", "widgets.py",
                     "templates/site_visits/index.html", "templates/site_visits/detail.html",
                     "templates/site_visits/widget.html", "migrations/versions/site_visits_0001_initial.py"):
        assert (package / relative).is_file(), relative
    assert (root / "tests" / "test_plugin.py").is_file() and (root / "README.md").is_file()
    assert '__tablename__ = "site_visits_note"' in (package / "models.py").read_text()
    assert 'Blueprint("site_visits"' in (package / "views.py").read_text()
    assert '{% extends "base.html" %}' in (package / "templates/site_visits/index.html").read_text()
    migration = (package / "migrations/versions/site_visits_0001_initial.py").read_text()
    assert 'branch_labels = ("site_visits",)' in migration
    heads = scaffold.core_migration_heads()
    assert f"depends_on = {heads[0] if len(heads) == 1 else heads or None!r}" in migration  # after the core's tables
    leftovers = [path for path in root.rglob("*") if path.is_file() and "%%" in path.read_text(encoding="utf-8")]
    assert leftovers == []


@pytest.mark.slow
def test_the_generated_plugin_passes_its_own_tests(tmp_path):
    assert new_plugin("field_trips", "--path", str(tmp_path)).exit_code == 0
    root = tmp_path / "workbench-field_trips"
    env = {key: value for key, value in os.environ.items()
           if key not in ("WORKBENCH_PLUGINS", "WORKBENCH_DATABASE_URL", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout and "error" not in result.stdout
