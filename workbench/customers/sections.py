"""The core's sections of the customer page: basic info, group structure, contacts, members,
open to-dos. Plugins add theirs through workbench_customer_sections."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from workbench.customers import services
from workbench.customers.forms import ContactForm, LinkForm
from workbench.extensions import db
from workbench.inbox.models import TodoItem, TodoStatus


def basic_info(customer):
    return render_template("customers/sections/basic.html", customer=customer)


def group_structure(customer):
    return render_template("customers/sections/group.html", group=services.group_view(customer),
                           customer=customer, form=LinkForm())


def contacts(customer):
    return render_template("customers/sections/contacts.html", customer=customer,
                           contacts=customer.contacts, form=ContactForm())


def members(customer):
    return render_template("customers/sections/members.html", customer=customer,
                           page=services.members_page(customer))


def open_todos(customer):
    items = db.session.execute(
        select(TodoItem).where(TodoItem.customer_id == customer.id, TodoItem.status == TodoStatus.OPEN)
        .order_by(TodoItem.due_at).limit(20)
    ).scalars().all()
    return render_template("customers/sections/todos.html", items=items)
