"""`workbench demo` seeds twelve months of indicators with anomalies; its first scan raises a
handful of warnings for am1, and one of am2's shows a handled loop."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.warning.models import CustomerWarning, Metric
from workbench import demo
from workbench.extensions import db
from workbench.org.scope import system_scope

pytestmark = [pytest.mark.plugins("warning")]


def test_the_demo_raises_a_handful_of_warnings_for_am1(app):
    assert demo.seed_demo()
    with system_scope():
        months = db.session.execute(select(func.count(func.distinct(Metric.period)))).scalar()
        warnings = db.session.execute(select(CustomerWarning)).unique().scalars().all()
    assert months == 12
    am1 = [w for w in warnings if w.owner and w.owner.username == "am1"]
    assert 4 <= len(am1) <= 12
    assert {"revenue_change", "arrears", "balance_low", "contract_expiring"} <= {w.rule for w in am1}
    assert any(w.status == "handled" and w.owner.username == "am2" for w in warnings)
