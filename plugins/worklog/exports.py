"""The work-log list as an .xlsx export (workbench/exports): the list page's own scoped query
and filters, so a file never holds a log the page would not show."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.worklog import services
from workbench.exports.kinds import ExportColumn, ExportKind, local_datetime, register_export_kind

LOGS = ExportKind(
    "worklog.logs", _l("Work logs"),
    columns=(
        ExportColumn("happened_at", _l("Date and time"), lambda log: local_datetime(log.happened_at), width=18),
        ExportColumn("kind", _l("Type"), lambda log: services.kind_label(log.kind), width=12),
        ExportColumn("customer", _l("Customer"), lambda log: log.customer.name if log.customer else "", width=28),
        ExportColumn("owner", _l("Account manager"), lambda log: log.owner.name if log.owner else "", width=14),
        ExportColumn("content", _l("Content"), services.describe, width=60),
        ExportColumn("contacts", _l("Contacts met"), services.contact_names, width=20),
        ExportColumn("next_step", _l("Next step"), lambda log: log.next_step, width=30),
        ExportColumn("follow_up_on", _l("Follow-up date"), lambda log: log.follow_up_on, width=12),
        ExportColumn("system", _l("System entry"), lambda log: str(_l("Yes")) if log.system else "", width=10),
    ),
    query=lambda user, args: services.log_query(services.LogFilter.from_args(args)),
    permission="worklog.export", list_endpoint="worklog.index",
)


def register(app) -> None:
    register_export_kind(app, LOGS)
