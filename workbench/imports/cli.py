"""`workbench import KIND FILE [--as USERNAME]`, e.g. `workbench import customers 客户.xlsx`.

Without --as the import runs as the system (every permission, the whole organisation); with
it, under that person's permissions and data scope, exactly as if they had uploaded the file.
Every header of the file must name a column (nobody can be asked to map one). The rows are
imported in this process, through the same steps as the background job; the summary is
printed and, when rows failed, the error report is written next to the file.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import func, select

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.imports import reports, services
from workbench.imports.kinds import import_kinds


def _acting_user(username: str | None):
    if not username:
        return None
    from workbench.auth.models import User

    user = db.session.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        raise click.ClickException(_("No active user named %(name)s.", name=username))
    return user


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", metavar="USERNAME",
              help="Run with this user's permissions and data scope (default: system).")
@with_appcontext
def import_command(kind: str, file: Path, username: str | None):
    """Import KIND (customers, contacts, members, units, users, or a plugin's) from FILE (.xlsx or .csv)."""
    known = [item.key for item in import_kinds()]
    if kind not in known:
        raise click.ClickException(_("Unknown kind of import %(kind)s; one of: %(kinds)s.",
                                     kind=kind, kinds=", ".join(known)))
    actor = _acting_user(username)
    try:
        run = services.import_now(actor, kind, file.name, file.read_bytes())
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    if run.state == "failed":
        raise click.ClickException(run.message or _("The file was not imported."))
    click.echo(_("%(kind)s from %(file)s: %(total)d rows — %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged, %(failed)d failed.", kind=kind, file=file.name,
                 total=run.total_rows, created=run.created, updated=run.updated,
                 unchanged=run.unchanged, failed=run.failed))
    if run.failed:
        extension = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"
        report = file.resolve().with_name(reports.report_filename(run, extension))
        data = reports.error_report_xlsx(run) if extension == "xlsx" else reports.error_report_csv(run)
        report.write_bytes(data)
        for entry in services.row_errors(run, limit=10):
            for problem in entry.problems:
                click.echo(_("  row %(row)s %(column)s: %(reason)s", row=entry.row_number,
                             column=problem.get("title", ""), reason=problem.get("reason", "")))
        click.echo(_("Error report: %(path)s", path=str(report)))
