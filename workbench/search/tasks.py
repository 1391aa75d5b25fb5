"""The search jobs. Both run on the `search` queue, which one worker with concurrency 1
consumes (`workbench worker -Q search -c 1`), so index writes never race; in the embedded
default they run in-process right after the commit that enqueued them."""
from __future__ import annotations

from workbench.jobs import job
from workbench.search import indexing


@job("search.update", queue="search", max_attempts=5)
def update_index(ctx, *, ranges: dict | None = None, refs: list | None = None) -> dict:
    """Bring the documents of these records in step with the database, in one write of the
    index: `ranges` {source key: [[first id, last id], ...]} (what indexing.enqueue_refresh
    writes), or `refs` [[source key, record id], ...] (jobs written by earlier versions)."""
    pairs = indexing.refs_of_ranges(ranges or {}) + [(key, int(record_id)) for key, record_id in refs or ()]

    def fresh_read():
        # Once the writer is ours, end the job's transaction so the records are read as
        # committed now (SQLite keeps a transaction's first snapshot).
        if ctx is not None:
            ctx.checkpoint(0, len(pairs), "indexing")

    result = indexing.refresh_in_turn(pairs, fresh_read=fresh_read)
    if ctx is not None:
        ctx.progress(len(pairs), len(pairs))
    return result


@job("search.refresh_units", queue="search", max_attempts=5)
def refresh_units(ctx, *, unit_id: int) -> dict:
    """Re-index the records of a unit that moved in the org tree (their path changed)."""
    return indexing.refresh_units_below(unit_id)
