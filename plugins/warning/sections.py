"""The "Warnings and indicators" section of the customer page (客户视图): the indicator
chart (fed from a JSON endpoint) and the warning history."""
from __future__ import annotations

from flask import render_template

from plugins.warning import rules, services


def history(customer):
    return render_template("warning/section.html", customer=customer,
                           warnings=services.warnings_of_customer(customer), describe=services.describe,
                           has_metrics=bool(services.metrics_of(customer.id, 1)), rule_label=rules.rule_label,
                           labels=rules.SEVERITY_LABELS, colours=rules.SEVERITY_COLOURS,
                           status_labels=services.STATUS_LABELS)
