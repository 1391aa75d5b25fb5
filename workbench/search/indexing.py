"""Keeping the index in step with the database.

Changes are collected in the session, not in views: after every flush the session listener
notes which rows of a searchable model (any SearchSource's `model`) were inserted, updated
or deleted. When the transaction commits, the noted (source, id) pairs become one
`search.update` job in the same transaction, so a rolled-back transaction changes nothing in
the index. The job runs on the dedicated `search` queue (one worker, concurrency 1) or, in the
embedded default, in-process right after the commit; it re-reads the records and writes their
documents through the backend's single writer. Because a job carries ids, never data, running
it late or twice is harmless: it always writes what the database holds at that moment.

A commit that changes many records (a scan raising 20,000 warnings, a big import) is indexed
in bulk: its ids travel as ranges of consecutive ids per source (a few numbers, not a pair
per record), one job covers up to JOB_BATCH records, and that job reads them LOAD_BATCH at a
time (one query each) and writes them all with one writer and one commit of the index.
Writers of Core statements, which the flush listener cannot see, hand their ids over with
`index_after_commit`.

`rebuild` re-creates the documents of some or all sources from the database.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from workbench.contracts import SearchSource
from workbench.extensions import db
from workbench.org.models import OrgUnit
from workbench.org.scope import ScopedMixin, system_scope
from workbench.search.analysis import pinyin_keys
from workbench.search.backend import IndexDocument, SearchBackend, load_backend, make_ref

log = logging.getLogger(__name__)

EXTENSION = "workbench.search"
PENDING = "workbench.search.pending"
# Records per search.update job. Each job is one index commit, so the bigger the better up to
# what its documents take in memory (they are written together when the job ends).
JOB_BATCH = 50_000
LOAD_BATCH = 500   # records read per query while indexing

# In-process jobs of one process run one at a time: a refresh reads records and writes them
# as one step, so a slower, older read can never overwrite a newer one.
_refresh_turn = threading.Lock()


@dataclass
class SearchState:
    """The search service of one app: its backend and the sources by key and by model."""

    backend: SearchBackend
    sources: dict[str, SearchSource] = field(default_factory=dict)
    watched: dict[type, tuple[str, ...]] = field(default_factory=dict)


def install(app) -> SearchState:
    """Set up search for `app`: backend, sources, session listeners (once per process)."""
    sources = {source.key: source for source in app.extensions["workbench.plugins"].search_sources}
    watched: dict[type, list[str]] = {}
    for source in sources.values():
        watched.setdefault(source.model, []).append(source.key)
    state = SearchState(backend=load_backend(app), sources=sources,
                        watched={model: tuple(keys) for model, keys in watched.items()})
    app.extensions[EXTENSION] = state
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
    return state


def state(app=None) -> SearchState:
    return (app or current_app).extensions[EXTENSION]


def backend() -> SearchBackend:
    return state().backend


# --- collecting changes ---------------------------------------------------------------------

def _record_id(obj) -> int | None:
    identity = inspect(type(obj)).primary_key_from_instance(obj)
    return identity[0] if identity and identity[0] is not None else None


def _after_flush(session: Session, _flush_context) -> None:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return
    watched = current_app.extensions[EXTENSION].watched
    if not watched:
        return
    changed = itertools.chain(
        session.new,
        # "dirty" is optimistic (any attribute set); only rows that really changed count, so
        # re-saving identical values (an unchanged import row) enqueues nothing.
        (obj for obj in session.dirty if session.is_modified(obj, include_collections=False)),
        session.deleted,
    )
    for obj in changed:
        keys = watched.get(type(obj))
        if not keys:
            continue
        record_id = _record_id(obj)
        if record_id is None:
            continue
        pending = session.info.setdefault(PENDING, set())
        pending.update((key, record_id) for key in keys)


def _before_commit(session: Session) -> None:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # collect what the commit would flush only after this hook
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    if session is not db.session():
        log.warning("search: %d change(s) committed outside db.session are not indexed", len(pending))
        return
    enqueue_refresh(sorted(pending))


def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction ended without a commit (rollback, close): forget its changes.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def index_after_commit(source_key: str, record_ids: Iterable[int]) -> None:
    """Have these records of `source_key` re-indexed when the current transaction commits,
    as if the session had flushed them: for rows written by Core statements (INSERT ...
    SELECT), which the flush listener never sees. Nothing happens when it rolls back."""
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return
    pending = db.session().info.setdefault(PENDING, set())
    pending.update((source_key, int(record_id)) for record_id in record_ids)


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as [first, last] ranges of consecutive ids: [1, 2, 3, 7] → [[1, 3], [7, 7]].
    Rows written by one statement have consecutive ids, so a scan's 20,000 new warnings
    travel in a job as a handful of numbers."""
    ranges: list[list[int]] = []
    for record_id in sorted(set(ids)):
        if ranges and record_id == ranges[-1][1] + 1:
            ranges[-1][1] = record_id
        else:
            ranges.append([record_id, record_id])
    return ranges


def refs_of_ranges(ranges: dict[str, list]) -> list[tuple[str, int]]:
    """The (source key, record id) pairs of {source key: [[first, last], ...]}."""
    return [(key, record_id) for key, spans in ranges.items()
            for first, last in spans for record_id in range(int(first), int(last) + 1)]


def enqueue_refresh(refs: list[tuple[str, int]]) -> None:
    """Write search.update jobs for these (source key, record id) pairs into the current
    transaction — one per JOB_BATCH records, the ids as ranges; they run once it commits."""
    from workbench.jobs import enqueue

    ordered = sorted(set(refs))
    for start in range(0, len(ordered), JOB_BATCH):
        by_source: dict[str, list[int]] = {}
        for key, record_id in ordered[start:start + JOB_BATCH]:
            by_source.setdefault(key, []).append(record_id)
        enqueue("search.update", ranges={key: id_ranges(ids) for key, ids in by_source.items()})


# --- building documents ---------------------------------------------------------------------

def unit_paths() -> dict[int, str]:
    """Materialised path of every org unit (a few thousand at most), for the scope fields."""
    return dict(db.session.execute(select(OrgUnit.id, OrgUnit.path)).all())


def to_document(source: SearchSource, record, paths: dict[int, str]) -> IndexDocument:
    fields = source.document(record)
    scoped = isinstance(record, ScopedMixin)
    pinyin_of = fields.get("pinyin")
    return IndexDocument(
        ref=make_ref(source.key, record.id),
        type=source.key,
        title=str(fields.get("title") or ""),
        body=str(fields.get("body") or ""),
        keywords=str(fields.get("keywords") or ""),
        pinyin=pinyin_keys(str(pinyin_of)) if pinyin_of else "",
        detail=str(fields.get("detail") or ""),
        owner_id=record.owner_id if scoped else None,
        unit_path=paths.get(record.org_unit_id) if scoped else None,
        public=not scoped or bool(fields.get("public")),
        facets=facet_terms(fields.get("facets")),
    )


def facet_terms(facets: dict | None) -> tuple[str, ...]:
    """A document's "facets" ({"space": "business", "tag": [3, 5]}) as index terms
    (space=business, tag=3, tag=5); spaces inside a value become underscores."""
    terms = []
    for name, values in (facets or {}).items():
        if values is None:
            continue
        if isinstance(values, (str, int)):
            values = [values]
        for value in values:
            terms.append(f"{name}={str(value).replace(' ', '_')}")
    return tuple(dict.fromkeys(terms))


def source_statement(source: SearchSource):
    statement = select(source.model)
    return source.query(statement) if source.query else statement


def _load(source: SearchSource, ids: list[int]) -> list:
    found = []
    for start in range(0, len(ids), LOAD_BATCH):
        statement = source_statement(source).where(source.model.id.in_(ids[start:start + LOAD_BATCH]))
        found.extend(db.session.execute(statement).unique().scalars())
    return found


def refresh(refs: Iterable[tuple[str, int]], batch=None) -> dict:
    """Make the index hold what the database holds now for these records: documents for
    those that exist (and pass their source's `query`), none for the others. System work:
    runs in system scope. Writes through `batch` (an open backend batch) or a new one."""
    by_source: dict[str, list[int]] = {}
    for key, record_id in refs:
        by_source.setdefault(key, []).append(int(record_id))
    sources = state().sources
    documents, deleted = [], []
    with system_scope():
        paths = unit_paths()
        for key, ids in by_source.items():
            ids = sorted(set(ids))
            source = sources.get(key)
            records = {record.id: record for record in _load(source, ids)} if source else {}
            for record_id in ids:
                record = records.get(record_id)
                if record is None:
                    deleted.append(make_ref(key, record_id))
                else:
                    documents.append(to_document(source, record, paths))
    if batch is not None:
        batch.index(documents, delete=deleted)
    else:
        backend().index(documents, delete=deleted)
    return {"indexed": len(documents), "removed": len(deleted)}


def refresh_in_turn(refs: list, fresh_read=None) -> dict:
    """`refresh` holding the index's writer from the read to the write, so of two refreshes
    of one record the later read is always written last. `fresh_read` ends the caller's
    read snapshot once the writer is ours (SQLite keeps a transaction's first snapshot)."""
    with _refresh_turn, backend().batch() as batch:
        if fresh_read is not None:
            fresh_read()
        return refresh(refs, batch=batch)


def _documents_of(source: SearchSource, paths: dict[int, str], counts: dict[str, int]) -> Iterator[IndexDocument]:
    last_id = 0
    while True:
        statement = source_statement(source).where(source.model.id > last_id) \
            .order_by(source.model.id).limit(LOAD_BATCH)
        rows = db.session.execute(statement).unique().scalars().all()
        if not rows:
            return
        for record in rows:
            counts[source.key] = counts.get(source.key, 0) + 1
            yield to_document(source, record, paths)
        last_id = rows[-1].id


@dataclass
class RebuildReport:
    counts: dict[str, int]
    seconds: float


def rebuild(source_keys: list[str] | None = None) -> RebuildReport:
    """Re-create the documents of these sources (None: the whole index) from the database.
    Holds the index's one writer throughout; other writers wait (up to the lock timeout)."""
    sources = state().sources
    chosen = [sources[key] for key in source_keys] if source_keys is not None else list(sources.values())
    started = time.perf_counter()
    counts = {source.key: 0 for source in chosen}
    with _refresh_turn, system_scope():
        paths = unit_paths()
        documents = itertools.chain.from_iterable(_documents_of(source, paths, counts) for source in chosen)
        backend().rebuild(documents, types=None if source_keys is None else [s.key for s in chosen])
    db.session.rollback()  # end the long read
    return RebuildReport(counts=counts, seconds=time.perf_counter() - started)


def refresh_units_below(unit_id: int) -> dict:
    """Re-index every scoped record of the unit and the units below it (after a move, their
    path changed, and the index pre-filters by path)."""
    totals = {"indexed": 0, "removed": 0}
    with system_scope():
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None:
            return totals
        units_below = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
        refs = []
        for source in state().sources.values():
            if issubclass(source.model, ScopedMixin):
                ids = db.session.execute(
                    select(source.model.id).where(source.model.org_unit_id.in_(units_below))
                ).scalars()
                refs.extend((source.key, record_id) for record_id in ids)
    for start in range(0, len(refs), JOB_BATCH):
        done = refresh_in_turn(refs[start:start + JOB_BATCH])
        totals = {key: totals[key] + done[key] for key in totals}
    return totals
