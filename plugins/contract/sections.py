"""The "Contracts" section of the customer page (客户视图)."""
from __future__ import annotations

from flask import render_template

from plugins.contract import services


def contracts(customer):
    return render_template("contract/section.html", customer=customer,
                           contracts=services.contracts_of_customer(customer), labels=services.STATE_LABELS,
                           colours=services.STATE_COLOURS, State=services.State, days_left=services.days_left)
