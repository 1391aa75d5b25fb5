"""`workbench search rebuild [--source KEY]`: re-create the index from the database."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from workbench.search.backend import IndexBusy


@click.group("search")
def search_group():
    """The global search index."""


@search_group.command("rebuild")
@click.option("--source", "source_keys", multiple=True, metavar="KEY",
              help="Only this document type (repeatable), e.g. --source customer. Default: all.")
@with_appcontext
def rebuild_command(source_keys: tuple[str, ...]):
    """Rebuild the index from the database and report the documents written per type.

    Safe while the workbench runs: the rebuild holds the index's single writer, so index
    updates wait for it (up to WORKBENCH_SEARCH_LOCK_TIMEOUT) and are retried after."""
    from workbench.search import indexing

    known = indexing.state().sources
    unknown = [key for key in source_keys if key not in known]
    if unknown:
        raise click.BadParameter(f"unknown source {', '.join(unknown)} (known: {', '.join(known) or 'none'})",
                                 param_hint="--source")
    try:
        report = indexing.rebuild(list(source_keys) or None)
    except IndexBusy as error:
        raise click.ClickException(f"{error}; try again when the other writer has finished") from error
    for key, count in report.counts.items():
        click.echo(f"{key:<24} {count:>9} documents")
    click.echo(f"{'total':<24} {sum(report.counts.values()):>9} documents in {report.seconds:.1f} s")
