"""The 'my customers' homepage widget."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import func, select

from workbench.customers.models import Customer
from workbench.extensions import db


def my_customers():
    query = select(Customer).where(Customer.owner_id == current_user.id, Customer.archived.is_(False))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    top = db.session.execute(query.order_by(Customer.level, Customer.name).limit(6)).scalars().all()
    return render_template("customers/widgets/my_customers.html", customers=top, total=total)
