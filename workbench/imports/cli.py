"""`workbench import customers|units|users FILE [--as USERNAME]`.

Without --as the import runs as the system (every permission, the whole organisation); with
it, under that person's permissions and data scope, exactly as if they had uploaded the file.
The summary is printed and, when rows failed, the error report is written next to the file.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import func, select

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.imports import reports, services
from workbench.imports.models import IMPORT_KINDS

import_group = AppGroup("import", help="Import customers, units or users from an .xlsx or .csv file.")


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


def _run(kind: str, path: Path, username: str | None) -> None:
    actor = _acting_user(username)
    try:
        run = services.run_import(actor, kind, path.name, path.read_bytes(), source="cli")
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(_("%(kind)s from %(file)s: %(total)d rows — %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged, %(failed)d failed.", kind=kind, file=path.name,
                 total=run.total_rows, created=run.created, updated=run.updated,
                 unchanged=run.unchanged, failed=run.failed))
    if run.failed:
        extension = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
        report = path.resolve().with_name(reports.report_filename(run, extension))
        data = reports.error_report_xlsx(run) if extension == "xlsx" else reports.error_report_csv(run)
        report.write_bytes(data)
        for error in run.errors[:10]:
            click.echo(_("  row %(row)s %(column)s: %(reason)s", row=error["row"], column=error["column"],
                         reason=error["reason"]))
        click.echo(_("Error report: %(path)s", path=str(report)))


def _make_command(kind: str) -> click.Command:
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--as", "username", metavar="USERNAME",
                  help="Run with this user's permissions and data scope (default: system).")
    def command(file: Path, username: str | None):
        _run(kind, file, username)

    command.__doc__ = f"Import {kind} from FILE (.xlsx or .csv)."
    return import_group.command(kind)(command)


for _kind in IMPORT_KINDS:
    _make_command(_kind)
