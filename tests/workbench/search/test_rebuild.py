"""Rebuilding the index from the database: `workbench search rebuild [--source KEY]` reports
the documents written per source and the time it took."""
from __future__ import annotations

import pytest

from workbench.extensions import db
from workbench.org.scope import system_scope
from workbench.search import indexing

from tests.support.factories import make_customer


@pytest.mark.plugins()  # the core's own types and kinds, whatever plugins are installed
def test_rebuild_restores_a_lost_index_and_counts_per_source(app, world, search_backend, titles_for):
    search_backend.rebuild([])  # the index lost everything
    assert titles_for(world.admin, "客户") == []
    report = indexing.rebuild()
    assert report.counts == {"customer": 3} and report.seconds >= 0
    assert len(titles_for(world.admin, "客户")) == 3


def test_rebuild_leaves_out_archived_customers(app, world, search_backend):
    with system_scope():
        world.customers["am2"].archived = True
        db.session.commit()
    assert indexing.rebuild(["customer"]).counts == {"customer": 2}
    assert search_backend.count("customer") == 2


def test_rebuild_of_one_source_keeps_other_documents(app, world, search_backend):
    from workbench.search.backend import IndexDocument

    search_backend.index([IndexDocument(ref="article:1", type="article", title="知识", public=True)])
    indexing.rebuild(["customer"])
    assert search_backend.count() == 4


def test_the_cli_rebuilds_and_reports_counts_and_time(app, world):
    make_customer(world.am1, name="新客户")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["customer", "4", "documents"]
    assert lines[-1].startswith("total") and "4 documents in" in lines[-1] and lines[-1].endswith(" s")


def test_the_cli_rebuilds_one_source_and_refuses_an_unknown_one(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "rebuild", "--source", "customer"]).exit_code == 0
    refused = runner.invoke(args=["search", "rebuild", "--source", "nope"])
    assert refused.exit_code == 2 and "unknown source nope" in refused.output
