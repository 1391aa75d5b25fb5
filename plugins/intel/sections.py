"""The customer page's "Competitive intelligence" section: intel about this customer that
the reader may see (their scope, plus what was pushed to them)."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from plugins.intel import services

LIMIT = 20


def customer_intel(customer):
    items = services.intel_of_customer(customer, limit=LIMIT)
    return render_template("intel/section.html", customer=customer, items=items, limit=LIMIT,
                           can_submit=current_user.can(services.PERM_SUBMIT))
