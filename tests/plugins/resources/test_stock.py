"""The catalogue, stock and its ledger, without HTTP: who sees which stock, name and pinyin
search, goods in/out/adjust with a required reason, never below what is reserved, and a
ledger nobody can rewrite."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from plugins.resources import services
from plugins.resources.models import ResourceStockEntry, StockLedgerIsAppendOnly
from tests.plugins.resources.conftest import act, new_request, stock, to_state
from workbench.errors import NotAllowed, ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

pytestmark = [pytest.mark.plugins("resources")]


def catalogue_names(user, **filters):
    with acting_as(user.scope):
        rows = db.session.execute(services.stock_query(user, services.CatalogueFilter(**filters))).unique().scalars()
        return sorted((row.item.name, row.org_unit.code) for row in rows)


def test_an_account_manager_draws_from_their_unit_and_the_units_above(rw):
    assert catalogue_names(rw.am1) == [("定制保温杯", "C1"), ("宣传折页", "X1")]


def test_another_countys_stock_is_not_in_the_catalogue(rw):
    assert ("定制保温杯", "X2") not in catalogue_names(rw.am1)
    assert catalogue_names(rw.outsider) == [("定制保温杯", "C1"), ("定制保温杯", "X2")]


def test_the_catalogue_finds_items_by_pinyin_initials_full_pinyin_name_and_code(rw):
    assert catalogue_names(rw.am1, q="bwb") == [("定制保温杯", "C1")]
    assert catalogue_names(rw.am1, q="baowen") == [("定制保温杯", "C1")]
    assert catalogue_names(rw.am1, q="折页") == [("宣传折页", "X1")]
    assert catalogue_names(rw.am1, q="WL-001") == [("宣传折页", "X1")]
    assert catalogue_names(rw.am1, q="nothing") == []


def test_the_city_manager_manages_the_stock_of_the_city_and_below(rw):
    assert catalogue_names(rw.citymgr, managed_only=True) == [("定制保温杯", "C1"), ("定制保温杯", "X2"),
                                                              ("宣传折页", "X1")]


def test_goods_in_raise_on_hand_and_write_a_ledger_entry_with_the_balances(rw):
    with acting_as(rw.citymgr.scope):
        entry = services.record_movement(rw.citymgr, services.get_stock(rw.cups), "in", "5", "送货单 2026-118")
        db.session.commit()
        assert (entry.on_hand_delta, entry.on_hand_after, entry.reserved_after) == (5, 15, 0)
    assert stock(rw.cups).on_hand == 15


@pytest.mark.parametrize("kind, quantity, reason, field", [
    ("in", "5", "", "reason"),
    ("in", "0", "盘点", "quantity"),
    ("in", "-3", "盘点", "quantity"),
    ("in", "abc", "盘点", "quantity"),
    ("in", "2.5", "盘点", "quantity"),
    ("in", "1000001", "盘点", "quantity"),
    ("adjust", "0", "盘点", "quantity"),
    ("steal", "1", "盘点", "kind"),
])
def test_a_bad_movement_is_refused_beside_its_field_and_changes_nothing(rw, kind, quantity, reason, field):
    with acting_as(rw.citymgr.scope), pytest.raises(ServiceError) as refused:
        services.record_movement(rw.citymgr, services.get_stock(rw.cups), kind, quantity, reason)
    db.session.rollback()
    assert refused.value.field == field
    assert stock(rw.cups).on_hand == 10


def test_goods_out_never_take_what_is_reserved(rw):
    to_state(rw, "approved", quantity=8)
    with acting_as(rw.citymgr.scope), pytest.raises(ServiceError) as refused:
        services.record_movement(rw.citymgr, services.get_stock(rw.cups), "out", "3", "报损")
    db.session.rollback()
    assert "Only 2" in str(refused.value.message)
    assert (stock(rw.cups).on_hand, stock(rw.cups).reserved) == (10, 8)


def test_a_negative_adjustment_after_a_count_lowers_on_hand(rw):
    with acting_as(rw.citymgr.scope):
        services.record_movement(rw.citymgr, services.get_stock(rw.cups), "adjust", "-2", "盘点短少2个")
        db.session.commit()
    assert stock(rw.cups).on_hand == 8


def test_an_account_manager_cannot_move_stock(rw):
    with acting_as(rw.am1.scope), pytest.raises(NotAllowed):
        services.record_movement(rw.am1, services.get_stock(rw.cups), "in", "5", "私自入库")


def test_a_unit_holds_one_stock_of_an_item(rw):
    with acting_as(rw.citymgr.scope), pytest.raises(ServiceError) as refused:
        services.open_stock(rw.citymgr, rw.cup.id, rw.city.id)
    assert refused.value.field == "item_id"


def test_stock_is_opened_only_in_units_one_manages(rw):
    with acting_as(rw.lead.scope), pytest.raises(NotAllowed):
        services.open_stock(rw.lead, rw.leaflet.id, rw.county.id)


def test_the_ledger_is_append_only_in_the_orm_and_in_the_database(rw):
    with system_scope():
        entry = db.session.execute(select(ResourceStockEntry).limit(1)).scalar_one()
        entry.reason = "rewritten"
        with pytest.raises(StockLedgerIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("UPDATE resources_stock_entry SET reason = 'x'"))
        db.session.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM resources_stock_entry"))
        db.session.rollback()


def test_the_ledger_adds_up_to_the_stock_after_a_whole_flow(rw):
    to_state(rw, "used", quantity=3)
    cancelled = to_state(rw, "approved", quantity=2)
    act(rw.am1, cancelled, "cancel", "客户取消活动")
    to_state(rw, "approved", quantity=1)
    current = stock(rw.cups)
    with system_scope():
        assert services.ledger_totals(rw.cups) == (current.on_hand, current.reserved) == (7, 1)


def test_low_stock_lists_what_is_at_or_below_its_threshold_for_the_manager(rw):
    to_state(rw, "approved", quantity=8)
    with acting_as(rw.citymgr.scope):
        assert [s.id for s in services.low_stock(rw.citymgr)] == [rw.cups]
    with acting_as(rw.am1.scope):
        assert services.low_stock(rw.am1) == []


@pytest.mark.parametrize("steps, message", [
    ([{"role": "wizard", "level": "county"}], "unknown role"),
    ([{"role": "lead", "level": ""}], "level"),
    ([{"role": "lead", "permission": "resources.approve", "level": "city"}], "not both"),
    ([{"role": "lead", "level": "county"}] * 6, "At most 5"),
    ("lead", "must be a list"),
])
def test_an_approval_chain_that_cannot_work_is_refused(rw, steps, message):
    with system_scope(), pytest.raises(ServiceError) as refused:
        services.save_type(rw.admin, {"code": "X", "name": "X", "steps": steps})
    assert message in str(refused.value.message) and refused.value.field == "steps"


@pytest.mark.parametrize("values, field", [
    ({"code": "", "name": "n", "measure": "个", "unit_value": "1"}, "code"),
    ({"code": "LP-001", "name": "n", "measure": "个", "unit_value": "1"}, "code"),
    ({"code": "N1", "name": "", "measure": "个", "unit_value": "1"}, "name"),
    ({"code": "N1", "name": "n", "measure": "", "unit_value": "1"}, "measure"),
    ({"code": "N1", "name": "n", "measure": "个", "unit_value": "-1"}, "unit_value"),
    ({"code": "N1", "name": "n", "measure": "个", "unit_value": "1.234"}, "unit_value"),
    ({"code": "N1", "name": "n", "measure": "个", "unit_value": "abc"}, "unit_value"),
    ({"code": "N1", "name": "n", "measure": "个", "unit_value": "1", "type_id": 999}, "type_id"),
])
def test_a_bad_catalogue_item_is_refused_beside_its_field(rw, values, field):
    values = {"type_id": rw.gift.id, **values}
    with system_scope(), pytest.raises(ServiceError) as refused:
        services.save_item(rw.admin, values)
    assert refused.value.field == field


def test_an_account_manager_cannot_change_the_catalogue(rw):
    with acting_as(rw.am1.scope), pytest.raises(NotAllowed):
        services.save_item(rw.am1, {"code": "N1", "name": "n", "measure": "个", "unit_value": "1",
                                    "type_id": rw.gift.id})


def test_a_request_line_draws_from_one_stock_and_a_new_request_sees_the_reservation(rw):
    to_state(rw, "approved", quantity=9)
    with acting_as(rw.am2.scope), pytest.raises(ServiceError) as refused:
        new_request(rw, owner=rw.am2, quantity=2)
    assert "Only 1" in str(refused.value.message)


@pytest.mark.parametrize("value", ["-1", "lots", "1.5"])
def test_a_bad_low_stock_threshold_is_refused(rw, value):
    with acting_as(rw.citymgr.scope), pytest.raises(ServiceError) as refused:
        services.set_low_threshold(rw.citymgr, services.get_stock(rw.cups), value)
    db.session.rollback()
    assert refused.value.field == "low_threshold" and stock(rw.cups).low_threshold == 2
