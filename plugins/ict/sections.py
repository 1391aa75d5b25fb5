"""The customer page's "ICT projects" section: the customer's projects the reader may see."""
from __future__ import annotations

from flask import render_template

from plugins.ict import services


def projects(customer):
    return render_template("ict/sections/projects.html", customer=customer,
                           projects=services.projects_of_customer(customer), labels=services.STAGE_LABELS)
