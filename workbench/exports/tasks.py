"""The export jobs: write a large export in the background; remove old export files nightly.

`exports.build` is a "creator" job: it runs in the data scope of the person who asked for
the export, and the kind's query is built for that person, so the file holds exactly what
their list page would show. Writing is a pure read of the database: a redelivered job
simply writes the file again.
"""
from __future__ import annotations

from workbench.exports import services
from workbench.jobs import job

MAX_ATTEMPTS = 3


@job(services.JOB_NAME, scope="creator", max_attempts=MAX_ATTEMPTS, on_give_up=services.give_up)
def build_export(ctx, *, export_id: int) -> dict:
    return services.build_export(export_id, creator_id=ctx.created_by_id, checkpoint=ctx.checkpoint)


@job("exports.purge_expired", scope="system", max_attempts=1)
def purge_expired(ctx) -> dict:
    return services.purge_expired()
