"""The customer page's "Opportunities" section: the customer's opportunities the reader may see."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from workbench.extensions import db
from plugins.opportunity import services

LIMIT = 20


def customer_opportunities(customer):
    query = services.opportunity_query(services.OpportunityFilter(customer_id=customer.id))
    items = db.session.execute(query.limit(LIMIT)).unique().scalars().all()
    return render_template("opportunity/section.html", customer=customer, items=items,
                           can_create=current_user.can(services.PERM_CREATE), limit=LIMIT,
                           is_overdue=services.is_overdue)
