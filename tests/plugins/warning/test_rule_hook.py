"""Rules live in one registry; another plugin contributes rules through the warning
plugin's own hook, and the scan evaluates them like the built-in ones."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning import rules, services
from plugins.warning.models import CustomerWarning
from tests.plugins.warning.conftest import scan, two_months
from workbench.extensions import db
from workbench.org.scope import system_scope

EXTRA = {"warnextra": "tests.plugins.warning.rules_plugin"}


@pytest.mark.plugins("warning", "warnextra")
@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=EXTRA)
def test_a_plugin_contributes_a_rule_that_the_scan_evaluates(world, customers):
    assert "big_customer_quiet" in rules.all_rules()
    two_months(customers["am1"], now={"revenue": Decimal("3000"), "members": 250},
               before={"revenue": Decimal("3100"), "members": 250})
    scan()
    with system_scope():
        found = db.session.execute(select(CustomerWarning.rule, CustomerWarning.severity)).all()
    assert ("big_customer_quiet", "low") in found


@pytest.mark.plugins("warning", "warnextra")
@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=EXTRA)
def test_a_contributed_rules_thresholds_are_set_per_unit_like_the_others(world):
    services.save_thresholds(world.admin, world.county, {"big_customer_quiet.revenue": "100"})
    db.session.commit()
    value, source = services.effective_value("big_customer_quiet", "revenue", world.grid1)
    assert value == Decimal("100") and source.id == world.county.id


@pytest.mark.plugins("warnextra")
@pytest.mark.app_config(WORKBENCH_PLUGIN_MODULES=EXTRA)
def test_the_contributing_plugin_starts_without_the_warning_plugin(app):
    from workbench.plugins import registry

    assert registry().get("warnextra").enabled


@pytest.mark.plugins("warning")
def test_the_built_in_rules_are_registered_in_order(app):
    keys = list(rules.all_rules())
    assert keys[:7] == ["revenue_change", "traffic_change", "contract_expiring", "balance_low", "arrears",
                        "member_change", "churn_risk"]
    assert "opportunity_overdue" in keys and keys[-1] == "escalation"
