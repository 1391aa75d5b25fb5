"""Thresholds per org unit: the nearest unit up the tree with a setting wins, else the rule
default; bad numbers are refused with a clear message and nothing is saved."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.warning import services
from plugins.warning.models import CustomerWarning, Threshold
from tests.plugins.warning.conftest import scan, two_months
from tests.support.factories import make_user
from workbench.errors import NotAllowed
from workbench.extensions import db
from workbench.org.scope import system_scope

pytestmark = pytest.mark.plugins("warning")


def save(actor, unit, **values):
    changed = services.save_thresholds(actor, unit, {key.replace("__", "."): value for key, value in values.items()})
    db.session.commit()
    return changed


def rules_raised(customer):
    with system_scope():
        return sorted(db.session.execute(select(CustomerWarning.rule).where(
            CustomerWarning.customer_id == customer.id)).scalars())


def test_a_county_setting_overrides_its_city_and_the_default(world, customers):
    save(world.admin, world.city, revenue_change__drop_pct="50")
    save(world.admin, world.county, revenue_change__drop_pct="20")
    # am1 is in a grid of the county (20 %); am3 in the other county inherits the city (50 %).
    two_months(customers["am1"], now={"revenue": Decimal("75000")})
    two_months(customers["am3"], now={"revenue": Decimal("60000")})
    scan()
    assert rules_raised(customers["am1"]) == ["revenue_change"]
    assert rules_raised(customers["am3"]) == []


def test_without_settings_the_rule_default_applies(world):
    value, source = services.effective_value("revenue_change", "drop_pct", world.grid1)
    assert value == Decimal("30") and source is None


def test_the_nearest_unit_up_the_tree_is_named_as_the_source(world):
    save(world.admin, world.city, arrears__days="45")
    value, source = services.effective_value("arrears", "days", world.grid1)
    assert value == Decimal("45") and source.id == world.city.id


def test_a_blank_value_removes_the_units_own_setting(world):
    save(world.admin, world.county, balance_low__limit="500")
    save(world.admin, world.county, balance_low__limit="")
    with system_scope():
        assert db.session.execute(select(Threshold)).scalars().all() == []


@pytest.mark.parametrize("field, text, message", [
    ("revenue_change.drop_pct", "abc", "Enter a number"),
    ("revenue_change.drop_pct", "0", "from 1 to 100"),
    ("revenue_change.drop_pct", "150", "from 1 to 100"),
    ("arrears.days", "10.5", "whole number"),
    ("balance_low.limit", "1.234", "two decimals"),
    ("balance_low.limit", "NaN", "Enter a number"),
])
def test_a_bad_number_is_refused_beside_its_field_and_nothing_is_saved(world, field, text, message):
    with pytest.raises(services.InvalidThresholds) as refused:
        services.save_thresholds(world.admin, world.county, {"contract_expiring.days": "30", field: text})
    db.session.rollback()
    assert message in str(refused.value.errors[field])
    with system_scope():
        assert db.session.execute(select(Threshold)).scalars().all() == []


def test_high_severity_cannot_start_below_the_warning_score(world):
    with pytest.raises(services.InvalidThresholds) as refused:
        services.save_thresholds(world.admin, world.county, {"churn_risk.min_score": "60",
                                                             "churn_risk.high_score": "40"})
    assert "churn_risk.high_score" in refused.value.errors


def test_an_account_manager_may_not_set_thresholds(world):
    with pytest.raises(NotAllowed):
        services.save_thresholds(world.am1, world.county, {"arrears.days": "30"})


def test_a_city_manager_sets_thresholds_of_their_city_only(world):
    manager = make_user("city_manager", world.other_county)
    db.session.commit()
    assert world.other_county in services.configurable_units(manager)
    with pytest.raises(NotAllowed):
        services.save_thresholds(manager, world.county, {"arrears.days": "30"})


def test_the_settings_page_rows_show_own_and_inherited_values(world):
    save(world.admin, world.city, arrears__days="40")
    save(world.admin, world.county, arrears__days="20")
    rows = {item.field: item for item in services.unit_settings(world.county)}
    assert rows["arrears.days"].own == Decimal("20")
    assert rows["arrears.days"].inherited == Decimal("40")
    assert rows["arrears.days"].inherited_from.id == world.city.id
    assert rows["revenue_change.drop_pct"].own is None
