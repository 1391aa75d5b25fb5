"""Background jobs of the knowledge base."""
from __future__ import annotations

from workbench.jobs import job

from plugins.knowledge import importer


def _give_up(run_id, **kwargs):
    importer.give_up(run_id)


@job("knowledge.import", scope="creator", max_attempts=3, on_give_up=_give_up)
def import_files(ctx, *, run_id: int):
    run = importer.run_import(run_id)
    return {"created": run.created, "failed": run.failed} if run is not None else {}
