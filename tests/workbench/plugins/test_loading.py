"""Start-up checks of the plugin manager: every way a plugin can be wrong stops create_app with
a PluginError that names the plugin; the allow-list and `depends` are honoured."""
from __future__ import annotations

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import mapped_column

from workbench.contracts import Manifest, MenuItem, Permission, TodoKind, Widget
from workbench.hookspecs import hookimpl
from workbench.plugins import PluginError, registry

from tests.workbench.plugins.samples import PROBE_MODULES, QUIET_MODULES, manifest_of


def refused(start_app, modules, allow="modules") -> PluginError:
    with pytest.raises(PluginError) as failure:
        start_app(modules, allow=allow)
    return failure.value


def test_a_well_formed_plugin_loads_and_is_listed_as_enabled(start_app):
    app = start_app(PROBE_MODULES)
    with app.app_context():
        probe = registry().get("probe")
    assert probe.enabled and probe.manifest.version == "1.2.3"


def test_an_import_failure_names_the_plugin(start_app):
    error = refused(start_app, {"ghost": "wbtest_no_such_module.plugin"})
    assert error.plugin == "ghost"
    assert str(error).startswith("plugin 'ghost': cannot import wbtest_no_such_module.plugin")


def test_an_error_raised_while_importing_names_the_plugin(start_app, tmp_path, monkeypatch):
    (tmp_path / "wbtest_crashing.py").write_text('raise RuntimeError("boom at import")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    error = refused(start_app, {"crashing": "wbtest_crashing"})
    assert error.plugin == "crashing" and "boom at import" in str(error)


def test_a_missing_attribute_in_an_entry_point_names_the_plugin(start_app, plugin_module):
    module = plugin_module("attr")
    error = refused(start_app, {"attr": f"{module}:no_such_object"})
    assert error.plugin == "attr" and "no_such_object" in str(error)


def test_a_plugin_without_manifest_is_refused(start_app, plugin_module):
    error = refused(start_app, {"nameless": plugin_module("nameless", manifest=False)})
    assert error.plugin == "nameless" and "workbench_manifest" in str(error)


def test_a_manifest_that_is_not_a_manifest_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_manifest():
        return {"name": "dicty", "version": "1"}

    error = refused(start_app, {"dicty": plugin_module("dicty", manifest=False, workbench_manifest=workbench_manifest)})
    assert error.plugin == "dicty" and "must return a workbench.contracts.Manifest" in str(error)


def test_a_manifest_name_that_differs_from_the_entry_point_is_refused(start_app, plugin_module):
    module = plugin_module("alias", manifest=False, workbench_manifest=manifest_of("other"))
    error = refused(start_app, {"alias": module})
    assert error.plugin == "alias"
    assert "manifest name 'other' differs from its entry-point name 'alias'" in str(error)


def test_a_manifest_without_version_is_refused(start_app, plugin_module):
    module = plugin_module("unversioned", manifest=False, workbench_manifest=manifest_of("unversioned", version=""))
    error = refused(start_app, {"unversioned": module})
    assert error.plugin == "unversioned" and "version" in str(error)


def test_a_hookimpl_with_an_argument_its_hookspec_lacks_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_handle_event(event, extra):
        pass

    error = refused(start_app, {"wrongsig": plugin_module("wrongsig", workbench_handle_event=workbench_handle_event)})
    assert error.plugin == "wrongsig"
    assert "does not match its hookspec" in str(error) and "extra" in str(error)


def test_a_hookimpl_of_an_unknown_hook_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_widgets():
        return []

    error = refused(start_app, {"typo": plugin_module("typo", workbench_widgets=workbench_widgets)})
    assert error.plugin == "typo"
    assert "hook that does not exist" in str(error) and "workbench_widgets" in str(error)


def test_a_hook_function_without_hookimpl_is_refused_instead_of_silently_ignored(start_app, plugin_module):
    def workbench_menu_items():
        return [MenuItem("forgot", "Forgot", "homepage.index")]

    error = refused(start_app, {"forgetful": plugin_module("forgetful", workbench_menu_items=workbench_menu_items)})
    assert error.plugin == "forgetful" and "workbench_menu_items lack(s) the @hookimpl" in str(error)


def test_a_missing_dependency_is_named_with_the_plugin_that_needs_it(start_app, plugin_module):
    module = plugin_module("needy", manifest=False,
                           workbench_manifest=manifest_of("needy", depends=("nonexistent_module",)))
    error = refused(start_app, {"needy": module})
    assert error.plugin == "needy"
    assert "depends on nonexistent_module (not installed)" in str(error)


def test_a_dependency_that_is_installed_but_disabled_is_named_as_not_enabled(start_app, plugin_module):
    needy = plugin_module("needy", manifest=False, workbench_manifest=manifest_of("needy", depends=("quiet",)))
    error = refused(start_app, {"needy": needy, **QUIET_MODULES}, allow=["needy"])
    assert error.plugin == "needy" and "depends on quiet (not enabled)" in str(error)


def test_an_enabled_dependency_satisfies_depends(start_app, plugin_module):
    needy = plugin_module("needy", manifest=False, workbench_manifest=manifest_of("needy", depends=("quiet",)))
    app = start_app({"needy": needy, **QUIET_MODULES})
    assert {plugin.name for plugin in app.extensions["workbench.plugins"].enabled} == {"needy", "quiet"}


def test_a_table_without_the_plugin_prefix_is_refused(start_app, plugin_module, forget_tables):
    from workbench.extensions import db

    forget_tables("untidy_")
    module = plugin_module("tidy")

    class UntidyNote(db.Model):  # declared as if in the plugin's own module
        __module__ = module
        __tablename__ = "untidy_note"
        # No Mapped[] annotations: they would be resolved in the fake module, which lacks them.
        id = mapped_column(Integer, primary_key=True)
        text = mapped_column(String(20))

    error = refused(start_app, {"tidy": module})
    assert error.plugin == "tidy"
    assert "table 'untidy_note' (model UntidyNote) must be named tidy_..." in str(error)


def test_an_unknown_name_in_the_allow_list_is_refused_with_the_name(start_app):
    error = refused(start_app, PROBE_MODULES, allow=["probe", "nosuch"])
    assert error.plugin == "nosuch"
    assert "'nosuch' is in WORKBENCH_PLUGINS but is not installed" in str(error)


def test_the_allow_list_leaves_other_plugins_installed_but_disabled_and_unimported(start_app):
    # Importing "never" would fail, so start-up succeeding shows a disabled plugin is not imported.
    app = start_app({"never": "wbtest_not_importable_at_all", **PROBE_MODULES}, allow=["probe"])
    plugins = {plugin.name: plugin for plugin in app.extensions["workbench.plugins"].installed}
    assert plugins["probe"].enabled and not plugins["never"].enabled
    assert plugins["never"].manifest is None


@pytest.mark.parametrize("name, reason", [
    ("Probe", "lowercase identifier"),
    ("1probe", "lowercase identifier"),
    ("inbox", "used by the core"),
])
def test_a_plugin_name_must_be_a_lowercase_identifier_the_core_does_not_use(start_app, plugin_module, name, reason):
    error = refused(start_app, {name: plugin_module("whatever")})
    assert error.plugin == name and reason in str(error)


@pytest.mark.parametrize("hook_name, item, what", [
    ("workbench_homepage_widgets", Widget("inbox.my_todos", "Mine too", lambda: ""), "widget"),
    ("workbench_todo_kinds", TodoKind("task", "Another task"), "to-do kind"),
    ("workbench_permissions", Permission("admin.users", "Me too"), "permission"),
    ("workbench_menu_items", MenuItem("inbox", "Inbox again", "inbox.index"), "menu item"),
])
def test_a_key_another_plugin_declares_is_refused_naming_both(start_app, plugin_module, hook_name, item, what):
    impl = hookimpl(specname=hook_name)(lambda: [item])
    error = refused(start_app, {"copycat": plugin_module("copycat", hook_impl=impl)})
    assert error.plugin == "copycat"
    assert f"declares the {what} {getattr(item, 'key', getattr(item, 'name', None))!r}, which " in str(error)
    assert "already declares" in str(error)


def test_two_plugins_declaring_the_same_widget_are_both_named(start_app, plugin_module):
    def widgets():
        return [Widget("shared.card", "Card", lambda: "")]

    first = plugin_module("first", workbench_homepage_widgets=hookimpl(widgets))
    second = plugin_module("second", workbench_homepage_widgets=hookimpl(widgets))
    error = refused(start_app, {"first": first, "second": second})
    assert error.plugin == "second"
    assert "declares the widget 'shared.card', which 'first' already declares" in str(error)


def test_a_hook_returning_something_else_than_a_list_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_todo_kinds():
        return TodoKind("single.kind", "Not in a list")

    error = refused(start_app, {"single": plugin_module("single", workbench_todo_kinds=workbench_todo_kinds)})
    assert error.plugin == "single"
    assert "workbench_todo_kinds returned TodoKind, expected a list" in str(error)


def test_a_list_item_of_the_wrong_contract_is_refused(start_app, plugin_module):
    @hookimpl
    def workbench_homepage_widgets():
        return [{"key": "dict.widget"}]

    error = refused(start_app, {"dicts": plugin_module("dicts", workbench_homepage_widgets=workbench_homepage_widgets)})
    assert error.plugin == "dicts" and "returned a dict in its list, expected Widget" in str(error)


def test_a_hook_that_raises_at_start_up_names_the_plugin(start_app, plugin_module):
    @hookimpl
    def workbench_permissions():
        raise LookupError("permissions table unreadable")

    error = refused(start_app, {"raiser": plugin_module("raiser", workbench_permissions=workbench_permissions)})
    assert error.plugin == "raiser"
    assert "workbench_permissions failed: LookupError: permissions table unreadable" in str(error)


def test_one_name_for_two_different_modules_is_refused(start_app, plugin_module, monkeypatch):
    import workbench.plugins as plugins

    monkeypatch.setattr(plugins, "installed_plugins", lambda: [("probe", "elsewhere.plugin", "workbench-probe")])
    error = refused(start_app, PROBE_MODULES)
    assert error.plugin == "probe" and "two plugins share this name" in str(error)


def test_the_same_module_as_entry_point_and_configured_module_is_one_plugin(start_app, monkeypatch):
    import workbench.plugins as plugins

    monkeypatch.setattr(plugins, "installed_plugins",
                        lambda: [("probe", PROBE_MODULES["probe"], "workbench-probe")])
    app = start_app(PROBE_MODULES)
    [probe] = app.extensions["workbench.plugins"].installed
    assert probe.distribution == "workbench-probe" and probe.enabled


def test_a_class_instance_can_be_the_plugin_object(start_app, plugin_module):
    class Hooks:
        @hookimpl
        def workbench_manifest(self):
            return Manifest(name="objective", title="Objective", version="0.1")

        @hookimpl
        def workbench_todo_kinds(self):
            return [TodoKind("objective.kind", "Objective kind")]

    module = plugin_module("holder", manifest=False, hooks=Hooks())
    app = start_app({"objective": f"{module}:hooks"})
    assert "objective.kind" in app.extensions["workbench.plugins"].todo_kinds
