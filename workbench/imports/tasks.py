"""The import jobs: run a started import in the background; drop stale uploads nightly.

`imports.run` is a "creator" job: it runs in the data scope of the person who started the
import (the runner sets it; the service enters the same scope again explicitly, which the
command line needs too), so rows reaching outside that scope are refused one by one. It
commits a checkpoint per chunk of rows; a redelivered job resumes after the last one.
"""
from __future__ import annotations

from workbench.imports import services
from workbench.jobs import job

MAX_ATTEMPTS = 3


# After the last failed attempt the run must say so too, not stay "running".
@job(services.JOB_NAME, scope="creator", max_attempts=MAX_ATTEMPTS, on_give_up=services.give_up)
def run_import(ctx, *, run_id: int) -> dict:
    return services.process_run(run_id, checkpoint=ctx.checkpoint, creator_id=ctx.created_by_id)


@job("imports.purge_stale", scope="system", max_attempts=1)
def purge_stale(ctx) -> dict:
    return services.purge_stale()
