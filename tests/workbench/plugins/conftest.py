"""Fixtures for the plugin-system tests.

* `plugin_module(name, **hooks)` puts a throw-away plugin module into sys.modules (for the
  start-up checks, each test builds the broken plugin it needs), with a manifest unless told;
* `start_app(modules)` runs create_app with exactly those plugins on an empty SQLite file —
  enough to see start-up succeed or fail, without the per-database `app` fixture;
* `forget_tables(prefix)` takes tables a test's models declared out of the shared metadata;
* `hello_site` pip-installs tests/fixtures/workbench_hello into a temporary --target folder
  once per session, `hello_on_path` puts that folder on sys.path for one test, and
  `hello_app` is the per-database `app` created while it is there.

Marker: @pytest.mark.slow — builds or installs a distribution, or runs pytest in a
subprocess (a few seconds); still part of every run, CI included.
"""
from __future__ import annotations

import importlib
import itertools
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.workbench.plugins.samples import manifest_of

REPO_ROOT = Path(__file__).resolve().parents[3]
HELLO_SOURCE = REPO_ROOT / "tests" / "fixtures" / "workbench_hello"
HELLO_PACKAGE = "workbench_hello"
_module_numbers = itertools.count(1)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: builds/installs a distribution or runs pytest in a subprocess (runs in CI too)"
    )


@pytest.fixture
def plugin_module():
    """plugin_module(name, manifest=True, **attributes) → the module path of a new plugin
    module holding the given hook functions (and, unless manifest=False, a manifest)."""
    created: list[str] = []

    def make(name: str, manifest: bool = True, **attributes) -> str:
        module_path = f"wbtest_{name}_{next(_module_numbers)}"
        module = types.ModuleType(module_path, f"Throw-away test plugin {name!r}.")
        if manifest:
            module.workbench_manifest = manifest_of(name)
        for attribute, value in attributes.items():
            setattr(module, attribute, value)
        sys.modules[module_path] = module
        created.append(module_path)
        return module_path

    yield make
    for module_path in created:
        sys.modules.pop(module_path, None)


@pytest.fixture
def start_app(tmp_path):
    """start_app(modules, allow=...) → create_app with exactly `modules` enabled (unless an
    allow-list is given), so installed plugins cannot change what a test sees."""
    from workbench import create_app

    def start(modules: dict[str, str] | None = None, allow: list[str] | None | str = "modules", **config):
        modules = modules or {}
        return create_app({
            "TESTING": True,
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'plugins.db'}",
            "WORKBENCH_PLUGIN_MODULES": modules,
            "WORKBENCH_PLUGINS": list(modules) if allow == "modules" else allow,
            **config,
        })

    return start


@pytest.fixture
def forget_tables():
    """forget_tables(prefix): after the test, drop tables named prefix... from the shared
    metadata, so a model a test declares does not reach later tests' create_all or schema
    comparisons."""
    from workbench.extensions import db

    prefixes: list[str] = []
    yield prefixes.append
    for name in [name for name in db.metadata.tables if name.startswith(tuple(prefixes))]:
        db.metadata.remove(db.metadata.tables[name])


@pytest.fixture(scope="session")
def hello_site(tmp_path_factory) -> Path:
    """tests/fixtures/workbench_hello pip-installed into a temporary --target folder.

    It is built from a copy, because setuptools writes build/ and *.egg-info into the source
    tree. No network: --no-deps, --no-index, and the already installed setuptools (and, for
    setuptools before 70.1, wheel) through --no-build-isolation.
    """
    base = tmp_path_factory.mktemp("hello")
    source, site = base / "source", base / "site"
    shutil.copytree(HELLO_SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, (
        "pip could not install the hello fixture (setuptools < 70.1 needs the `wheel` package, "
        f"listed in the test extras):\n{result.stdout}\n{result.stderr}"
    )
    assert list(site.glob("workbench_hello-*.dist-info")), "no dist-info: entry points would not be found"
    return site


def _mapped_hello_tables():
    from workbench.extensions import db

    return [table for mapper in db.Model.registry.mappers
            if mapper.class_.__module__.startswith(HELLO_PACKAGE) for table in mapper.tables]


@pytest.fixture
def hello_on_path(hello_site):
    """The installed hello distribution visible to importlib (and importlib.metadata) for one
    test. Its modules stay imported afterwards (a model class cannot be mapped twice), so
    its tables are taken out of the shared metadata after the test and put back here."""
    from workbench.extensions import db

    sys.path.insert(0, str(hello_site))
    importlib.invalidate_caches()
    for table in _mapped_hello_tables():
        if table.name not in db.metadata.tables:
            table.to_metadata(db.metadata)
    try:
        yield hello_site
    finally:
        sys.path.remove(str(hello_site))
        importlib.invalidate_caches()


@pytest.fixture
def hello_app(hello_on_path, app):
    """The per-database `app`, created while hello is installed: it discovers hello through
    its entry point. Afterwards hello's tables are dropped (PostgreSQL keeps one database per
    worker) and forgotten, so later tests see the core's schema only."""
    from workbench.extensions import db

    yield app
    db.session.rollback()
    db.session.remove()  # release locks before dropping
    for name in [name for name in db.metadata.tables if name.startswith("hello_")]:
        table = db.metadata.tables[name]
        table.drop(db.engine, checkfirst=True)
        db.metadata.remove(table)
