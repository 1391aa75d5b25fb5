"""workbench_seed_demo: plugins add their demo records after the core's, in dependency order."""
from __future__ import annotations

from sqlalchemy import select

from workbench.contracts import Manifest
from workbench.hookspecs import hookimpl
from workbench.plugins import dependency_order


def test_workbench_seed_demo_adds_a_plugins_records_to_the_demo(start_app):
    from workbench.customers.models import Customer
    from workbench.demo import seed_demo
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    app = start_app({"helpful": "tests.workbench.plugins.samples.helpful"})
    with app.app_context():
        db.create_all()
        assert seed_demo() is True
        with system_scope():
            names = db.session.execute(select(Customer.name).where(Customer.code == "HELPFUL-1")).scalars().all()
        assert names == ["帮手演示客户"]


def test_demo_data_of_a_plugin_is_seeded_after_the_plugins_it_depends_on(start_app, plugin_module):
    def manifest(name, depends=()):
        @hookimpl
        def workbench_manifest():
            return Manifest(name=name, title=name, version="1.0", depends=depends)
        return workbench_manifest

    modules = {
        "aaa": plugin_module("aaa", manifest=False, workbench_manifest=manifest("aaa", ("zzz",))),
        "zzz": plugin_module("zzz", manifest=False, workbench_manifest=manifest("zzz")),
    }
    app = start_app(modules)
    with app.app_context():
        assert dependency_order(app.extensions["workbench.plugins"]) == ["zzz", "aaa"]
