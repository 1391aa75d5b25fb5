"""Shared helpers of the ict plugin's tests: making projects and reading what they left."""
from __future__ import annotations

from sqlalchemy import select

from workbench.extensions import db
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.org.scope import acting_as, system_scope

from plugins.ict import services

PLUGINS = ("ict", "opportunity")


def make_project(user, customer=None, **values):
    """A project in discovery, owned by `user`, for one of their customers (committed)."""
    from workbench.customers.models import Customer

    with acting_as(user.scope):
        if customer is None:
            customer = db.session.execute(select(Customer).where(Customer.owner_id == user.id)).scalars().first()
        values.setdefault("name", "Smart campus for the water bureau")
        values.setdefault("scope_of_work", "Cameras, access control and a command centre")
        values.setdefault("estimated_value", "1200000")
        values.setdefault("expected_start", "2026-12-01")
        values.setdefault("expected_end", "2027-06-30")
        project = services.create_project(user, customer_id=customer.id, **values)
        db.session.commit()
        return project.id


def project(project_id):
    with system_scope():
        db.session.expire_all()
        return db.session.get(services.IctProject, project_id)


def act(user, action, project_id, *args, **kwargs):
    """Run a service action as `user` on the project and commit."""
    with acting_as(user.scope):
        result = action(user, services.get_project(project_id), *args, **kwargs)
        db.session.commit()
        return result


def todos(project_id, kind=None, status=TodoStatus.OPEN):
    with system_scope():
        query = select(TodoItem).where(TodoItem.source_type == services.SOURCE,
                                       TodoItem.source_id == str(project_id))
        if kind:
            query = query.where(TodoItem.kind == kind)
        if status:
            query = query.where(TodoItem.status == status)
        return list(db.session.execute(query).scalars())
