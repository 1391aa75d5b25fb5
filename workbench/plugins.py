"""The plugin manager: discovery, allow-list, validation and the aggregated contributions.

Discovery happens inside create_app, never at import time: the core's own hook modules are
registered first (the core uses the same hooks as plugins), then every entry point of group
`workbench.plugins` that the allow-list (WORKBENCH_PLUGINS) admits. Any problem stops start-up
with a PluginError naming the plugin.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy
from flask import current_app

from workbench import hookspecs
from workbench.contracts import Manifest

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
)


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names it."""


@dataclass
class InstalledPlugin:
    name: str
    module_path: str
    enabled: bool
    manifest: Manifest | None = None
    distribution: str | None = None


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

    @property
    def hook(self):
        return self.pm.hook

    @property
    def enabled(self) -> list[InstalledPlugin]:
        return [plugin for plugin in self.installed if plugin.enabled]


def installed_plugins() -> list[tuple[str, str, str | None]]:
    """(name, module path, distribution name) of every entry point in the plugin group."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if getattr(ep, "dist", None) else None
        found.append((ep.name, ep.value, dist))
    return sorted(found)


def _flatten(results) -> list:
    items = []
    for result in results:
        if result is None:
            continue
        if not isinstance(result, (list, tuple)):
            raise PluginError(f"a hook returned {type(result).__name__}, expected a list")
        items.extend(result)
    return items


def build_registry(allow_list: list[str] | None, extra_modules: dict | None = None) -> PluginRegistry:
    """Create the plugin manager and load core hooks and allowed plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_path in CORE_HOOK_MODULES:
        pm.register(importlib.import_module(module_path), name=f"core:{module_path}")

    candidates = installed_plugins() + [
        (name, path, None) for name, path in sorted((extra_modules or {}).items())
    ]
    known = {name for name, _path, _dist in candidates}
    if allow_list is not None:
        unknown = sorted(set(allow_list) - known)
        if unknown:
            raise PluginError(
                f"plugin {unknown[0]!r} is in WORKBENCH_PLUGINS but is not installed "
                f"(installed: {', '.join(sorted(known)) or 'none'})"
            )

    installed: list[InstalledPlugin] = []
    for name, module_path, dist in candidates:
        enabled = allow_list is None or name in allow_list
        plugin = InstalledPlugin(name, module_path, enabled, distribution=dist)
        installed.append(plugin)
        if not enabled:
            continue
        try:
            module = importlib.import_module(module_path)
        except Exception as exc:  # any import failure must name the plugin
            raise PluginError(f"plugin {name!r}: cannot import {module_path}: {exc}") from exc
        try:
            pm.register(module, name=name)
        except Exception as exc:
            raise PluginError(f"plugin {name!r}: cannot register hooks: {exc}") from exc
        impl = getattr(module, "workbench_manifest", None)
        if impl is None:
            raise PluginError(f"plugin {name!r}: does not implement workbench_manifest")
        manifest = impl()
        if not isinstance(manifest, Manifest):
            raise PluginError(f"plugin {name!r}: workbench_manifest must return a Manifest")
        if manifest.name != name:
            raise PluginError(
                f"plugin {name!r}: manifest name {manifest.name!r} differs from its entry point"
            )
        plugin.manifest = manifest

    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin_name!r}: {exc}") from exc

    enabled_names = {p.name for p in installed if p.enabled}
    for plugin in installed:
        if plugin.enabled:
            missing = [dep for dep in plugin.manifest.depends if dep not in enabled_names]
            if missing:
                raise PluginError(
                    f"plugin {plugin.name!r} depends on {', '.join(missing)}, which is not enabled"
                )
    return PluginRegistry(pm=pm, installed=installed)


def _collect(registry: PluginRegistry, hook_name: str) -> list:
    hook = getattr(registry.pm.hook, hook_name)
    items = []
    for impl in hook.get_hookimpls():
        try:
            result = impl.function()
            items.extend(_flatten([result]))
        except PluginError as exc:
            raise PluginError(f"plugin {impl.plugin_name!r}: {hook_name}: {exc}") from exc
    return items


def _unique_by_key(items, attribute: str, what: str) -> dict:
    by_key = {}
    for item in items:
        key = getattr(item, attribute)
        if key in by_key:
            raise PluginError(f"two plugins declare the same {what} {key!r}")
        by_key[key] = item
    return by_key


def collect_contributions(registry: PluginRegistry) -> None:
    """Gather the static contributions once so requests never call hooks for them."""
    registry.menu_items = sorted(_collect(registry, "workbench_menu_items"), key=lambda m: m.order)
    registry.permissions = _unique_by_key(_collect(registry, "workbench_permissions"), "name", "permission")
    registry.todo_kinds = _unique_by_key(_collect(registry, "workbench_todo_kinds"), "key", "to-do kind")
    registry.widgets = _unique_by_key(_collect(registry, "workbench_homepage_widgets"), "key", "widget")
    registry.customer_sections = sorted(
        _collect(registry, "workbench_customer_sections"), key=lambda s: s.order
    )


def check_table_prefixes(registry: PluginRegistry, metadata) -> None:
    """Every table mapped by a plugin's models must start with '<plugin name>_'."""
    from workbench.extensions import db

    for plugin in registry.enabled:
        package = plugin.module_path.rsplit(".", 1)[0]
        for mapper in db.Model.registry.mappers:
            module = mapper.class_.__module__
            if module == package or module.startswith(package + "."):
                for table in mapper.tables:
                    if not table.name.startswith(f"{plugin.name}_"):
                        raise PluginError(
                            f"plugin {plugin.name!r}: table {table.name!r} must be named "
                            f"{plugin.name}_..."
                        )


def registry() -> PluginRegistry:
    """The registry of the current app."""
    return current_app.extensions["workbench.plugins"]
