"""The `finder` sample plugin: offers to-dos to the global search as its own document type,
behind a permission, so the workbench_search_sources hook can be shown to work end to end."""
from __future__ import annotations

from workbench.contracts import Manifest, Permission, SearchSource
from workbench.hookspecs import hookimpl
from workbench.inbox.models import TodoItem


def todo_document(todo: TodoItem) -> dict:
    return {"title": todo.title, "body": todo.description, "keywords": todo.kind, "detail": todo.status}


def open_only(statement):
    return statement.where(TodoItem.status == "open")


FINDER_SOURCE = SearchSource(key="finder.todo", label="Open to-dos", model=TodoItem, document=todo_document,
                             url=lambda todo: f"/inbox/?item={todo.id}", icon="bi-check2-square",
                             query=open_only, order=50, permission="finder.search")


@hookimpl
def workbench_manifest():
    return Manifest(name="finder", title="Finder", version="1.0.0")


@hookimpl
def workbench_permissions():
    return [Permission("finder.search", "Find to-dos in the global search", default_roles=("account_manager",))]


@hookimpl
def workbench_search_sources():
    return [FINDER_SOURCE]
