"""Inbox widgets: my to-dos by kind, and progress of the tasks a lead dispatched."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import select

from workbench.extensions import db
from workbench.inbox import services
from workbench.inbox.models import Dispatch
from workbench.plugins import registry


def my_todos():
    counts = services.counts_by_kind(current_user)
    upcoming = db.session.execute(
        services.inbox_query(current_user).limit(5)
    ).scalars().all()
    return render_template(
        "inbox/widgets/my_todos.html",
        counts=counts,
        total=sum(c.total for c in counts),
        overdue=sum(c.overdue for c in counts),
        upcoming=upcoming,
        kinds=registry().todo_kinds,
    )


def team_tasks():
    dispatches = db.session.execute(
        select(Dispatch).where(Dispatch.owner_id == current_user.id)
        .order_by(Dispatch.created_at.desc()).limit(5)
    ).scalars().all()
    progress = services.dispatch_progress([d.id for d in dispatches])
    return render_template("inbox/widgets/team_tasks.html", dispatches=dispatches, progress=progress)
