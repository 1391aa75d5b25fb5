"""The "Resources" section of the customer page (客户视图): what was requested and issued."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from plugins.resources import services


def customer_requests(customer):
    return render_template("resources/section.html", customer=customer,
                           requests=services.requests_of_customer(customer),
                           totals=services.customer_totals(customer), labels=services.STATE_LABELS,
                           colours=services.STATE_COLOURS, State=services.State,
                           can_request=current_user.can(services.PERM_REQUEST))
