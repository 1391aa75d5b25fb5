"""A one-module plugin for the widget-cache tests: one cached widget that counts how often it
was really rendered (RENDERS) and shows the user's open to-dos, read from `todo_item`."""
from __future__ import annotations

from flask_security import current_user
from sqlalchemy import func, select

from workbench.contracts import Manifest, Widget
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.inbox.models import TodoItem

RENDERS: list[int] = []


def open_todos() -> str:
    RENDERS.append(current_user.id)
    count = db.session.execute(
        select(func.count()).select_from(TodoItem).where(TodoItem.owner_id == current_user.id,
                                                         TodoItem.status == "open")).scalar_one()
    return f"<p>open to-dos of {current_user.username}: {count}</p>"


@hookimpl
def workbench_manifest():
    return Manifest(name="counting", title="Counting", version="1.0")


@hookimpl
def workbench_homepage_widgets():
    return [Widget("counting.open_todos", "Open to-dos", open_todos, cache_seconds=60, reads=("todo_item",))]
