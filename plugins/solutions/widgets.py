"""Homepage widgets (my recent proposals; new material) and the customer page's section
(proposals for this customer). Each renders in the reader's request and data scope."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from plugins.solutions import services


def my_proposals():
    proposals = services.recent_proposals(current_user)
    stale = {p.id: bool(services.stale_products(p)) for p in proposals if p.state == "ready"}
    return render_template("solutions/widget_proposals.html", proposals=proposals, stale=stale)


def new_material():
    from plugins.solutions.models import PIECE_KIND_LABELS

    return render_template("solutions/widget_material.html", pieces=services.new_material(),
                           piece_kind_labels=PIECE_KIND_LABELS)


def customer_proposals(customer):
    return render_template("solutions/section_customer.html", customer=customer,
                           proposals=services.proposals_for_customer(customer))
