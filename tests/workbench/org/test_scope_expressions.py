"""The scope rule also covers selects whose columns are only expressions over a scoped model
(SUM(CASE …), COUNT(column)) — the shape of dashboard figures, where leaks like to hide."""
from __future__ import annotations

import pytest
from sqlalchemy import case, func, select

from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.org.scope import acting_as

pytestmark = pytest.mark.plugins()


def test_a_sum_of_case_over_a_scoped_model_counts_only_records_in_scope(app, world):
    with acting_as(world.am1.scope):
        figure = db.session.execute(select(func.sum(case((Customer.id > 0, 1), else_=0)))).scalar_one()
    assert figure == 1


def test_a_count_of_a_scoped_column_counts_only_records_in_scope(app, world):
    with acting_as(world.lead.scope):
        figure = db.session.execute(select(func.count(Customer.id))).scalar_one()
    assert figure == 2


def test_a_grouped_figure_over_a_scoped_model_shows_no_group_out_of_scope(app, world):
    with acting_as(world.am2.scope):
        rows = db.session.execute(
            select(Customer.owner_id, func.count(Customer.id)).group_by(Customer.owner_id)
        ).all()
    assert rows == [(world.am2.id, 1)]


def test_a_select_from_the_table_object_gets_no_scope_so_plugins_use_mapped_attributes(app, world):
    """Documents the one shape the rule cannot see (docs/plugins.md, "Data scope"): columns of
    `Model.__table__` are plain Core columns, not the mapped class, so no criteria attach."""
    table = Customer.__table__
    with acting_as(world.am1.scope):
        through_table = db.session.execute(select(func.count(table.c.id))).scalar_one()
        through_model = db.session.execute(select(func.count(Customer.id))).scalar_one()
    assert (through_table, through_model) == (3, 1)
