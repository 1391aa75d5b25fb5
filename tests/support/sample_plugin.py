"""A small in-tree plugin for core tests: a to-do kind that only its flow may close, and a
widget that always fails (to prove a broken widget does not take the homepage down)."""
from __future__ import annotations

from workbench.contracts import Manifest, TodoKind, Widget
from workbench.hookspecs import hookimpl


def _broken_widget():
    raise RuntimeError("the sample widget is broken on purpose")


@hookimpl
def workbench_manifest():
    return Manifest(name="sample", title="Sample", version="1.0")


@hookimpl
def workbench_todo_kinds():
    return [TodoKind("sample.review", "Sample review", can_mark_done=False)]


@hookimpl
def workbench_homepage_widgets():
    return [Widget("sample.broken", "Broken sample", _broken_widget, default_width=4)]
