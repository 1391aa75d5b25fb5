"""The warning list as an .xlsx export (the list page's own query, so the file holds exactly
what the page shows within the reader's scope), and the report workbook (raised/handled by
unit and rule)."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plugins.warning import rules, services
from workbench.exports.kinds import ExportColumn, ExportKind, local_datetime, register_export_kind
from workbench.exports.writer import write_workbook


def _rule(warning):
    return str(rules.rule_label(warning.rule))


WARNINGS = ExportKind(
    "warning.warnings", _l("Warnings"),
    columns=(
        ExportColumn("customer", _l("Customer"), lambda w: w.customer.name if w.customer else "", width=30),
        ExportColumn("code", _l("Customer code"), lambda w: w.customer.code if w.customer else "", width=14),
        ExportColumn("rule", _l("Rule"), _rule, width=16),
        ExportColumn("severity", _l("Severity"), lambda w: str(rules.SEVERITY_LABELS.get(w.severity, w.severity))),
        ExportColumn("period", _l("Period"), lambda w: w.period),
        ExportColumn("figures", _l("Figures"), services.describe, width=50),
        ExportColumn("owner", _l("Account manager"), lambda w: w.owner.name if w.owner else ""),
        ExportColumn("unit", _l("Unit"), lambda w: w.org_unit.name if w.org_unit else ""),
        ExportColumn("status", _l("Status"), lambda w: str(services.STATUS_LABELS.get(w.status, w.status))),
        ExportColumn("raised", _l("Raised"), lambda w: local_datetime(w.raised_at), width=18),
        ExportColumn("escalated", _l("Escalated"), lambda w: local_datetime(w.escalated_at), width=18),
        ExportColumn("action", _l("What was done"), lambda w: str(services.ACTIONS.get(w.action, "")), width=24),
        ExportColumn("outcome", _l("Outcome"), lambda w: str(services.OUTCOMES.get(w.outcome, "")), width=24),
        ExportColumn("note", _l("Handling note"), lambda w: w.note, width=40),
    ),
    query=lambda user, args: services.warning_query(services.warning_filter_from(args), actor=user),
    permission="warning.view", list_endpoint="warning.index")


def register(app) -> None:
    register_export_kind(app, WARNINGS)


def report_workbook(rows, totals) -> bytes:
    """The report as an .xlsx (one sheet: unit, rule and the counts)."""
    buffer = io.BytesIO()
    headers = [_("Unit"), _("Rule"), _("Raised"), _("Handled"), _("Share handled"), _("Open"), _("Overdue"),
               _("Escalated")]
    body = [[row.unit, str(row.rule_label), row.raised, row.handled, row.handled_pct, row.open, row.overdue,
             row.escalated] for row in rows]
    body.append([_("Total"), "", totals["raised"], totals["handled"], totals["handled_pct"], totals["open"],
                 totals["overdue"], totals["escalated"]])
    write_workbook(buffer, _("Warning report"), headers, body, widths=[24, 20, 10, 10, 10, 10, 10, 10])
    return buffer.getvalue()
