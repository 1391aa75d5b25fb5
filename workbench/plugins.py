"""The plugin manager: discovery, allow-list, validation and the aggregated contributions.

Discovery happens inside create_app, never at import time: the core's own hook modules are
registered first (the core uses the same hooks as plugins), then every entry point of group
`workbench.plugins` (plus the modules named in the WORKBENCH_PLUGIN_MODULES setting, which
tests and local experiments use instead of installing a distribution) that the allow-list
WORKBENCH_PLUGINS admits. Every problem stops start-up with a PluginError whose message
starts with the name of the plugin at fault, so an operator knows which one to fix or disable.

What is checked, in order:
  1. one module per plugin name; the allow-list names only installed plugins;
  2. an enabled plugin's name is a lowercase identifier the core does not use;
  3. each enabled plugin imports, registers with valid hook signatures, decorates every
     `workbench_*` function with @hookimpl and returns a Manifest whose name is its own;
  4. no hook implementation without a hookspec (pm.check_pending); a plugin's own hookspecs
     (`HOOKSPECS` in its plugin module) are named `workbench_<plugin>_*`;
  5. `depends` are enabled;
  6. every table mapped in the plugin's package starts with `<name>_`;
  7. contributions have the right type, come as lists, and their keys are unique;
  8. workbench_init_app succeeds; blueprints and CLI commands register without name clashes.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import logging
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Callable, Iterator

import pluggy
from flask import current_app

from workbench import contracts, hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "workbench.plugins"

# The core registers its own features through the same hooks plugins use.
CORE_HOOK_MODULES = (
    "workbench.auth.hooks",
    "workbench.inbox.hooks",
    "workbench.homepage.hooks",
    "workbench.customers.hooks",
    "workbench.admin.hooks",
    "workbench.imports.hooks",
    "workbench.jobs.hooks",
    "workbench.notify.hooks",
    "workbench.search.hooks",
    "workbench.audit.hooks",
)

# A plugin name becomes a table prefix, a blueprint name, a URL segment and a key prefix, so
# it must be a plain lowercase identifier.
PLUGIN_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# Names the core already uses for packages, blueprints, table prefixes or URL segments. A
# plugin with one of these names would collide with the core (e.g. tables `user_...`).
CORE_NAMES = frozenset({
    "admin", "api", "app", "audit", "celery", "jobs", "notifications", "worker", "beat", "auth", "core", "customer", "customers", "db", "homepage",
    "import", "imports", "inbox", "login", "logout", "notify", "org", "plugin", "plugins",
    "role", "search", "security", "static", "todo", "user", "workbench",
})

# The contribution hooks collected once at start-up: hook name → (contract type, unique key).
CONTRIBUTION_HOOKS = {
    "workbench_menu_items": (contracts.MenuItem, "key"),
    "workbench_permissions": (contracts.Permission, "name"),
    "workbench_todo_kinds": (contracts.TodoKind, "key"),
    "workbench_homepage_widgets": (contracts.Widget, "key"),
    "workbench_customer_sections": (contracts.CustomerSection, "key"),
    "workbench_beat_schedule": (contracts.ScheduledJob, "name"),
    "workbench_search_sources": (contracts.SearchSource, "key"),
    "workbench_help_contexts": (contracts.HelpContext, "key"),
}


class PluginError(RuntimeError):
    """A plugin cannot be loaded. The message starts with the plugin's name; `plugin` holds it."""

    def __init__(self, message: str, plugin: str | None = None):
        super().__init__(message)
        self.plugin = plugin


def _fail(plugin: str, message: str) -> PluginError:
    return PluginError(f"plugin {plugin!r}: {message}", plugin=plugin)


@contextmanager
def blame(plugin: str, doing: str) -> Iterator[None]:
    """Re-raise any exception from the block as a PluginError naming `plugin`."""
    try:
        yield
    except PluginError as exc:
        if exc.plugin == plugin:
            raise
        raise _fail(plugin, f"{doing}: {exc}") from exc
    except Exception as exc:
        raise _fail(plugin, f"{doing}: {type(exc).__name__}: {exc}") from exc


@dataclass
class InstalledPlugin:
    """One discovered plugin. `package` is set once it is loaded (see _plugin_package)."""

    name: str
    module_path: str
    enabled: bool
    manifest: contracts.Manifest | None = None
    distribution: str | None = None
    package: str | None = None


@dataclass
class PluginRegistry:
    """What the enabled plugins contribute, collected once at start-up."""

    pm: pluggy.PluginManager
    installed: list[InstalledPlugin]
    menu_items: list = field(default_factory=list)
    permissions: dict = field(default_factory=dict)
    todo_kinds: dict = field(default_factory=dict)
    widgets: dict = field(default_factory=dict)
    customer_sections: list = field(default_factory=list)
    beat_schedule: list = field(default_factory=list)
    search_sources: list = field(default_factory=list)
    help_contexts: dict = field(default_factory=dict)

    @property
    def hook(self):
        return self.pm.hook

    @property
    def enabled(self) -> list[InstalledPlugin]:
        return [plugin for plugin in self.installed if plugin.enabled]

    def get(self, name: str) -> InstalledPlugin | None:
        return next((plugin for plugin in self.installed if plugin.name == name), None)


def installed_plugins() -> list[tuple[str, str, str | None]]:
    """(name, target, distribution name) of every entry point in the plugin group."""
    return list(_entry_points_on(tuple(sys.path)))


@functools.lru_cache(maxsize=16)
def _entry_points_on(search_path: tuple[str, ...]) -> tuple[tuple[str, str, str | None], ...]:
    """Reading every distribution's metadata costs ~5 ms of CPU per create_app — paid again
    by every test. What is installed only changes, within one process, when a folder joins
    sys.path (a test puts a freshly installed distribution there), so the search path is
    the key; `search_path` is only that key, importlib.metadata reads sys.path itself."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if getattr(ep, "dist", None) else None
        found.append((ep.name, ep.value, dist))
    return tuple(sorted(found))


def _candidates(extra_modules: dict | None) -> list[tuple[str, str, str | None]]:
    """Entry points plus configured modules, one per name.

    The same name pointing at the same target twice (an installed plugin also named in
    WORKBENCH_PLUGIN_MODULES, as its own tests do) is one plugin; two different targets for
    one name are refused because which one wins would depend on install order.
    """
    by_name: dict[str, tuple[str, str, str | None]] = {}
    extra = [(name, target, None) for name, target in sorted((extra_modules or {}).items())]
    for name, target, dist in installed_plugins() + extra:
        seen = by_name.get(name)
        if seen is None:
            by_name[name] = (name, target, dist)
        elif seen[1] != target:
            raise _fail(name, f"two plugins share this name: {seen[1]} "
                              f"({seen[2] or 'WORKBENCH_PLUGIN_MODULES'}) and {target} "
                              f"({dist or 'WORKBENCH_PLUGIN_MODULES'})")
    return sorted(by_name.values())


def _check_name(name: str) -> None:
    """The name becomes a table prefix, blueprint, URL segment and key prefix."""
    if not isinstance(name, str) or not PLUGIN_NAME_PATTERN.match(name):
        raise _fail(str(name), "a plugin name must be a lowercase identifier "
                               "(letters, digits and underscores, starting with a letter)")
    if name in CORE_NAMES:
        raise _fail(name, "this name is used by the core; choose another plugin name")


def _load_target(name: str, target: str) -> ModuleType | Any:
    """Import `module` or `module:attribute`, the two forms an entry point may take."""
    module_path, _, attribute = target.partition(":")
    with blame(name, f"cannot import {module_path}"):
        loaded = importlib.import_module(module_path.strip())
    if attribute:
        with blame(name, f"{module_path} has no attribute {attribute.strip()!r}"):
            for part in attribute.strip().split("."):
                loaded = getattr(loaded, part)
    return loaded


def _plugin_package(plugin_object: Any) -> str:
    """The package whose models, templates and migrations belong to the plugin.

    A package entry point is its own package; `<package>.plugin` (the documented layout)
    belongs to <package>; any other module (a single-file plugin) is only itself.
    """
    module_name = getattr(plugin_object, "__name__", None) if isinstance(plugin_object, ModuleType) \
        else type(plugin_object).__module__
    module = sys.modules.get(module_name)
    if module is not None and hasattr(module, "__path__"):
        return module_name
    parent, _, last = module_name.rpartition(".")
    if last == "plugin" and parent:
        return parent
    return module_name


def _undecorated_hooks(pm: pluggy.PluginManager, plugin_object: Any) -> list[str]:
    """`workbench_*` functions that are not registered: pluggy silently ignores a function
    without @hookimpl, which would make a plugin mysteriously do nothing."""
    registered = [impl.function for caller in pm.get_hookcallers(plugin_object) or []
                  for impl in caller.get_hookimpls() if impl.plugin is plugin_object]
    return [
        attribute for attribute in dir(plugin_object)
        if attribute.startswith("workbench_")
        and (inspect.isfunction(value := getattr(plugin_object, attribute, None)) or inspect.ismethod(value))
        and value not in registered
    ]


def _manifest_of(pm: pluggy.PluginManager, name: str, plugin_object: Any) -> contracts.Manifest:
    impls = [impl for impl in pm.hook.workbench_manifest.get_hookimpls() if impl.plugin is plugin_object]
    if not impls:
        raise _fail(name, "does not implement workbench_manifest (add a @hookimpl "
                          "workbench_manifest() returning the MANIFEST of its package)")
    with blame(name, "workbench_manifest failed"):
        manifest = impls[0].function()
    if not isinstance(manifest, contracts.Manifest):
        raise _fail(name, f"workbench_manifest must return a workbench.contracts.Manifest, "
                          f"not {type(manifest).__name__}")
    if manifest.name != name:
        raise _fail(name, f"manifest name {manifest.name!r} differs from its entry-point name {name!r}")
    if not isinstance(manifest.version, str) or not manifest.version.strip():
        raise _fail(name, "the manifest needs a version string such as '1.0.0'")
    if isinstance(manifest.depends, str) or not all(isinstance(dep, str) for dep in manifest.depends):
        raise _fail(name, "manifest `depends` must be a tuple of plugin names")
    return manifest


def _add_plugin_hookspecs(pm: pluggy.PluginManager, name: str, plugin_object: Any) -> None:
    """A plugin may offer hooks of its own to other plugins (the warning module's rules, say):
    its plugin module names a module or class of @hookspec functions as `HOOKSPECS`. Their
    names must start with `workbench_<plugin>_` so they never clash with the core's hooks or
    another plugin's. Implementations in other plugins use `@hookimpl(optionalhook=True)`,
    so they still start when the offering plugin is disabled."""
    specs = getattr(plugin_object, "HOOKSPECS", None)
    if specs is None:
        return
    prefix = f"workbench_{name}_"
    names = [attribute for attribute in dir(specs) if attribute.startswith("workbench_")]
    wrong = [attribute for attribute in names if not attribute.startswith(prefix)]
    if wrong:
        raise _fail(name, f"its own hooks must be named {prefix}*: {', '.join(sorted(wrong))}")
    with blame(name, "cannot add its HOOKSPECS"):
        pm.add_hookspecs(specs)


def build_registry(allow_list: list[str] | None, extra_modules: dict | None = None) -> PluginRegistry:
    """Create the plugin manager and load core hooks and allowed plugins.

    `allow_list` None admits every installed plugin; a list admits only those names.
    `extra_modules` maps plugin names to module paths loaded as if they were entry points.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_path in CORE_HOOK_MODULES:
        pm.register(importlib.import_module(module_path), name=f"core:{module_path}")

    candidates = _candidates(extra_modules)
    known = {name for name, _target, _dist in candidates}
    if allow_list is not None:
        unknown = [name for name in dict.fromkeys(allow_list) if name not in known]
        if unknown:
            raise PluginError(
                f"plugin {unknown[0]!r} is in WORKBENCH_PLUGINS but is not installed "
                f"(unknown: {', '.join(unknown)}; installed: {', '.join(sorted(known)) or 'none'})",
                plugin=unknown[0],
            )

    installed: list[InstalledPlugin] = []
    for name, target, dist in candidates:
        enabled = allow_list is None or name in allow_list
        plugin = InstalledPlugin(name, target, enabled, distribution=dist)
        installed.append(plugin)
        if not enabled:
            continue
        _check_name(name)
        plugin_object = _load_target(name, target)
        _add_plugin_hookspecs(pm, name, plugin_object)
        try:
            pm.register(plugin_object, name=name)
        except pluggy.PluginValidationError as exc:
            raise _fail(name, f"a hook implementation does not match its hookspec: {exc}") from exc
        except Exception as exc:
            raise _fail(name, f"cannot register hooks: {exc}") from exc
        undecorated = _undecorated_hooks(pm, plugin_object)
        if undecorated:
            raise _fail(name, f"{', '.join(undecorated)} lack(s) the @hookimpl decorator "
                              "(from workbench.hookspecs import hookimpl)")
        plugin.package = _plugin_package(plugin_object)
        plugin.manifest = _manifest_of(pm, name, plugin_object)
        log.info("plugin %s %s loaded from %s", name, plugin.manifest.version, target)

    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise _fail(culprit, f"implements a hook that does not exist: {exc} "
                             "(see workbench/hookspecs.py for the hook names)") from exc

    enabled_names = {p.name for p in installed if p.enabled}
    for plugin in installed:
        if plugin.enabled:
            missing = [dep for dep in plugin.manifest.depends if dep not in enabled_names]
            if missing:
                reasons = [f"{dep} ({'not enabled' if dep in known else 'not installed'})" for dep in missing]
                raise _fail(plugin.name, f"depends on {', '.join(reasons)}")
    return PluginRegistry(pm=pm, installed=installed)


def call_impl(impl, **kwargs):
    """Call one hook implementation with just the arguments it declares (pluggy's rule: an
    implementation may accept fewer arguments than its hookspec)."""
    return impl.function(*[kwargs[name] for name in impl.argnames])


def _collect(registry: PluginRegistry, hook_name: str, expected: type | tuple) -> list[tuple[str, Any]]:
    """(plugin name, item) for every item every implementation of `hook_name` returns."""
    hook = getattr(registry.pm.hook, hook_name)
    items = []
    for impl in hook.get_hookimpls():
        with blame(impl.plugin_name, f"{hook_name} failed"):
            result = call_impl(impl)
        if result is None:
            continue  # an implementation may have nothing to add this time
        if not isinstance(result, (list, tuple)):
            raise _fail(impl.plugin_name, f"{hook_name} returned {type(result).__name__}, expected a list")
        for item in result:
            if not isinstance(item, expected):
                names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
                raise _fail(impl.plugin_name, f"{hook_name} returned a {type(item).__name__} "
                                              f"in its list, expected {names}")
            items.append((impl.plugin_name, item))
    return items


def _unique_by_key(items: list[tuple[str, Any]], attribute: str, what: str) -> dict:
    by_key: dict = {}
    owners: dict = {}
    for plugin_name, item in items:
        key = getattr(item, attribute)
        if key in by_key:
            raise _fail(plugin_name, f"declares the {what} {key!r}, which {owners[key]!r} already declares")
        by_key[key] = item
        owners[key] = plugin_name
    return by_key


def collect_contributions(registry: PluginRegistry) -> None:
    """Gather the static contributions once so requests never call hooks for them."""
    found = {hook_name: _collect(registry, hook_name, expected)
             for hook_name, (expected, _key) in CONTRIBUTION_HOOKS.items()}
    menu = _unique_by_key(found["workbench_menu_items"], "key", "menu item")
    registry.menu_items = sorted(menu.values(), key=lambda m: m.order)
    registry.permissions = _unique_by_key(found["workbench_permissions"], "name", "permission")
    registry.todo_kinds = _unique_by_key(found["workbench_todo_kinds"], "key", "to-do kind")
    registry.widgets = _unique_by_key(found["workbench_homepage_widgets"], "key", "widget")
    sections = _unique_by_key(found["workbench_customer_sections"], "key", "customer section")
    registry.customer_sections = sorted(sections.values(), key=lambda s: s.order)
    registry.beat_schedule = list(_unique_by_key(found["workbench_beat_schedule"], "name", "schedule").values())
    sources = _unique_by_key(found["workbench_search_sources"], "key", "search source")
    registry.search_sources = sorted(sources.values(), key=lambda s: s.order)
    registry.help_contexts = _unique_by_key(found["workbench_help_contexts"], "key", "help context")


def dependency_order(registry: PluginRegistry) -> list[str]:
    """Enabled plugin names, each after the plugins it depends on (then by name), for work
    that must build on what a dependency made first (demo data)."""
    manifests = {p.name: p.manifest for p in registry.enabled if p.manifest is not None}
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered or name not in manifests:
            return
        for dependency in manifests[name].depends:
            visit(dependency)
        ordered.append(name)

    for name in sorted(manifests):
        visit(name)
    return ordered


def _import_models(plugin: InstalledPlugin) -> None:
    """Import `<package>.models` so tables are mapped before they are checked, even when the
    plugin imports its models lazily (inside hook functions)."""
    if plugin.package is None or not hasattr(sys.modules.get(plugin.package), "__path__"):
        return  # a single-module plugin has no models module of its own
    name = f"{plugin.package}.models"
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        with blame(plugin.name, f"cannot import {name}"):
            importlib.import_module(name)


def import_job_modules(registry: PluginRegistry) -> None:
    """Import `<package>.tasks` of every enabled plugin so its @job declarations exist before
    Celery binds them (the core's task modules are imported by its hooks modules)."""
    for plugin in registry.enabled:
        if plugin.package is None or not hasattr(sys.modules.get(plugin.package), "__path__"):
            continue
        name = f"{plugin.package}.tasks"
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            with blame(plugin.name, f"cannot import {name}"):
                importlib.import_module(name)


def check_table_prefixes(registry: PluginRegistry, metadata=None) -> None:
    """Every table mapped by a plugin's models must start with '<plugin name>_'.

    `metadata` is unused and kept for callers of the first version of this function.
    """
    from workbench.extensions import db

    for plugin in registry.enabled:
        _import_models(plugin)
        package = plugin.package or plugin.module_path.partition(":")[0]
        for mapper in list(db.Model.registry.mappers):
            module = mapper.class_.__module__
            if module == package or module.startswith(package + "."):
                for table in mapper.tables:
                    if not table.name.startswith(f"{plugin.name}_"):
                        raise _fail(plugin.name, f"table {table.name!r} (model {mapper.class_.__name__}) "
                                                 f"must be named {plugin.name}_...")


def run_init_app(registry: PluginRegistry, app) -> None:
    """Call every workbench_init_app implementation; a failure names its plugin."""
    for impl in registry.pm.hook.workbench_init_app.get_hookimpls():
        with blame(impl.plugin_name, "workbench_init_app failed"):
            result = call_impl(impl, app=app)
        if result is not None:
            raise _fail(impl.plugin_name, "workbench_init_app must return nothing")


def register_blueprints(registry: PluginRegistry, register: Callable[[Any], None]) -> None:
    """Collect the blueprints every implementation returns and hand each to `register`
    (which knows about the JSON API); any failure names the plugin."""
    from flask import Blueprint

    for plugin_name, blueprint in _collect(registry, "workbench_blueprints", Blueprint):
        with blame(plugin_name, f"cannot register blueprint {blueprint.name!r}"):
            register(blueprint)


def add_cli_commands(registry: PluginRegistry, app) -> None:
    """Add the click commands plugins contribute under `workbench`; a clash names the plugin."""
    import click

    from workbench.cli import main

    owners: dict[str, str] = {}
    for plugin_name, command in _collect(registry, "workbench_cli_commands", click.Command):
        if not command.name:
            raise _fail(plugin_name, "a CLI command needs a name")
        if command.name in main.commands or command.name in app.cli.commands or command.name in owners:
            other = owners.get(command.name, "the core")
            raise _fail(plugin_name, f"CLI command {command.name!r} is already added by {other}")
        owners[command.name] = plugin_name
        app.cli.add_command(command)


def registry() -> PluginRegistry:
    """The registry of the current app."""
    return current_app.extensions["workbench.plugins"]
