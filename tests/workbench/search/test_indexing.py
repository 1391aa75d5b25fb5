"""The index follows the database: a customer created, changed, archived, handed over or
deleted is found (or not) right after the commit; a rolled-back change leaves the index as it
was; the update runs as one job on the `search` queue."""
from __future__ import annotations

from sqlalchemy import delete, select

from workbench.customers import services as customers
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.jobs.models import Job
from workbench.jobs.registry import definition
from workbench.org.scope import system_scope
from workbench.search import indexing

from tests.support.factories import make_customer


def found(backend_refs_text, search_backend):
    from workbench.search.backend import ScopeFilter, SearchQuery

    return [hit.ref for hit in search_backend.search(SearchQuery(backend_refs_text, ScopeFilter(everything=True)))]


def search_jobs() -> list[Job]:
    with system_scope():
        return db.session.execute(select(Job).where(Job.task == "search.update").order_by(Job.id)).scalars().all()


def test_a_new_customer_is_found_right_after_the_commit(app, world, search_backend):
    customer = make_customer(world.am1, name="华为技术有限公司")
    assert found("华为", search_backend) == []  # flushed, not committed
    db.session.commit()
    assert found("华为", search_backend) == [f"customer:{customer.id}"]
    assert found("hwjs", search_backend) == [f"customer:{customer.id}"]


def test_a_changed_customer_is_found_by_its_new_name_only(app, world, search_backend):
    customer = world.customers["am1"]
    customers.update_customer(world.am1, customer, {"name": "滨江云计算中心", "industry": "信息技术"},
                              customer.version)
    db.session.commit()
    assert found("云计算", search_backend) == [f"customer:{customer.id}"]
    assert found("am1的客户", search_backend) == []


def test_an_archived_or_deleted_customer_leaves_the_index(app, world, search_backend):
    archived, deleted = world.customers["am1"], world.customers["am2"]
    with system_scope():
        archived.archived = True
        db.session.delete(deleted)
        db.session.commit()
    assert found("客户", search_backend) == [f"customer:{world.customers['am3'].id}"]


def test_a_rolled_back_change_leaves_the_index_unchanged(app, world, search_backend):
    before = sorted(found("客户", search_backend))
    customer = world.customers["am1"]
    with system_scope():
        customer.name = "回滚的名称"
        make_customer(world.am2, name="回滚的新客户")
        db.session.flush()
        db.session.rollback()
    db.session.commit()  # a later, unrelated commit does not pick the rolled-back changes up
    assert found("回滚", search_backend) == []
    assert sorted(found("客户", search_backend)) == before
    assert len(search_jobs()) == 1  # the world's own commit only


def test_one_commit_makes_one_job_on_the_search_queue(app, world):
    make_customer(world.am1, name="甲公司")
    make_customer(world.am1, name="乙公司")
    db.session.commit()
    jobs = search_jobs()
    assert len(jobs) == 2  # the world's commit, then this one
    assert jobs[-1].state == "done"
    assert len(indexing.refs_of_ranges(jobs[-1].kwargs["ranges"])) == 2
    assert definition("search.update").queue == "search"


def test_saving_unchanged_values_enqueues_nothing(app, world):
    customer = world.customers["am1"]
    with system_scope():
        customer.name = customer.name
        db.session.commit()
    assert len(search_jobs()) == 1


def test_a_hand_over_moves_the_customers_documents_to_the_successor(app, world, search_backend):
    from workbench.search.backend import ScopeFilter, SearchQuery

    with system_scope():
        inbox.hand_over(world.admin, world.am1, world.am2)
        db.session.commit()
    am2_sees = [hit.ref for hit in search_backend.search(SearchQuery("客户", ScopeFilter(owner_id=world.am2.id)))]
    assert f"customer:{world.customers['am1'].id}" in am2_sees


def test_a_unit_moved_in_the_org_tree_re_indexes_its_records(app, world, search_backend):
    from workbench.admin import services as admin
    from workbench.search.backend import ScopeFilter, SearchQuery

    with system_scope():
        admin.move_unit(world.admin, world.grid1, world.other_county)
        db.session.commit()
        db.session.refresh(world.grid1)
    x2_sees = [hit.ref for hit in search_backend.search(
        SearchQuery("客户", ScopeFilter(owner_id=None, unit_path=world.other_county.path)))]
    assert f"customer:{world.customers['am1'].id}" in x2_sees


def test_refresh_writes_what_the_database_holds_now(app, world, search_backend):
    customer = world.customers["am1"]
    with system_scope():
        db.session.execute(delete(Customer).where(Customer.id == world.customers["am2"].id))
        db.session.commit()  # a bulk delete: no ORM event, the index still has the document
    assert f"customer:{world.customers['am2'].id}" in found("客户", search_backend)
    result = indexing.refresh([("customer", customer.id), ("customer", world.customers["am2"].id),
                               ("nolonger", 5)])
    assert result == {"indexed": 1, "removed": 2}
    assert f"customer:{world.customers['am2'].id}" not in found("客户", search_backend)


# -- bulk updates -------------------------------------------------------------------------------

def test_ids_travel_as_ranges_of_consecutive_ids():
    assert indexing.id_ranges([7, 1, 3, 2, 3, 9, 8]) == [[1, 3], [7, 9]]
    assert indexing.id_ranges([]) == []
    assert indexing.refs_of_ranges({"customer": [[1, 3], [7, 7]], "other": [[5, 5]]}) == \
        [("customer", 1), ("customer", 2), ("customer", 3), ("customer", 7), ("other", 5)]


def test_a_commit_of_many_records_is_one_job_one_index_write_and_one_read_per_chunk(
        app, world, search_backend, count_queries, monkeypatch):
    monkeypatch.setattr(indexing, "LOAD_BATCH", 10)
    with system_scope():
        made = [make_customer(world.am1, name=f"批量公司{number}") for number in range(35)]
        db.session.flush()
    writes = []
    original_batch = search_backend.batch
    monkeypatch.setattr(search_backend, "batch", lambda: (writes.append(1), original_batch())[1])
    reads = []

    def note_reads(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM customer" in statement and " IN " in statement:
            reads.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", note_reads)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note_reads)
    job = search_jobs()[-1]
    assert job.state == "done" and job.result == {"indexed": 35, "removed": 0}
    assert sorted(record_id for _key, record_id in indexing.refs_of_ranges(job.kwargs["ranges"])) == \
        sorted(customer.id for customer in made)
    assert len(writes) == 1  # one writer, one commit of the index
    assert len(reads) == 4  # 35 records, 10 per query
    assert len(found("批量公司", search_backend)) == 35


def test_a_job_written_by_an_earlier_version_with_refs_still_runs(app, world, search_backend):
    from workbench.jobs import enqueue

    customer = world.customers["am1"]
    with system_scope():
        db.session.execute(delete(Customer).where(Customer.id == world.customers["am2"].id))
        enqueue("search.update", refs=[["customer", customer.id], ["customer", world.customers["am2"].id]])
        db.session.commit()
    assert search_jobs()[-1].result == {"indexed": 1, "removed": 1}
    assert f"customer:{world.customers['am2'].id}" not in found("客户", search_backend)


def test_rows_handed_over_by_id_are_indexed_after_the_commit_and_not_after_a_rollback(app, world, search_backend):
    with system_scope():
        db.session.execute(Customer.__table__.update().where(Customer.id == world.customers["am1"].id)
                           .values(name="核心语句改名"))  # a Core statement: the flush listener never sees it
        indexing.index_after_commit("customer", [world.customers["am1"].id])
        db.session.rollback()
    assert found("核心语句改名", search_backend) == []
    with system_scope():
        db.session.execute(Customer.__table__.update().where(Customer.id == world.customers["am1"].id)
                           .values(name="核心语句改名"))
        indexing.index_after_commit("customer", [world.customers["am1"].id])
        db.session.commit()
    assert found("核心语句改名", search_backend) == [f"customer:{world.customers['am1'].id}"]
