"""The intel summary's pages on the plugin's blueprint: the page (figures and three charts:
by competitor, by product, by region, month by month), one JSON endpoint per chart (ECharts
draws them in the browser) and an .xlsx export of each table. The figures come from
plugins.intel.summary in the reader's data scope, so page, charts and files always agree.
"""
from __future__ import annotations

import io

from flask import abort, jsonify, render_template, request, send_file
from flask_babel import gettext as _
from flask_security import auth_required, current_user

from plugins.intel import services, summary
from plugins.intel.views import bp
from workbench.errors import NotFound
from workbench.exports.writer import write_workbook

CHARTS = ("competitors", "products", "regions")


def _require() -> None:
    if not current_user.can(services.PERM_SUMMARY):
        abort(403)


def _build():
    filters, errors = summary.SummaryFilter.from_args(request.args)
    try:
        return filters, errors, summary.build_summary(current_user, filters)
    except NotFound:
        abort(404)


def _series(s: summary.Summary, chart: str) -> list[summary.Series]:
    return {"competitors": s.competitors, "products": s.products, "regions": s.regions}[chart]


@bp.route("/summary")
@auth_required("session")
def summary_page():
    _require()
    filters, errors, s = _build()
    return render_template("intel/summary.html", s=s, filters=filters, errors=errors, args=filters.as_args(),
                           competitors=services.competitors(active_only=False), charts=CHARTS,
                           month_choices=summary.MONTH_CHOICES)


@bp.route("/summary/data/<chart>.json")
@auth_required("session")
def summary_chart(chart: str):
    _require()
    if chart not in CHARTS:
        abort(404)
    filters, errors, s = _build()
    series = _series(s, chart)
    payload = {"chart": chart, "months": s.months, "figures": s.figures(), "errors": errors,
               "series": [{"key": row.key, "name": row.name, "data": row.counts, "total": row.total}
                          for row in series],
               "labels": {"count": _("Items of intel")}}
    if chart == "regions":
        payload["unit_ids"] = s.region_ids
    return jsonify(payload)


@bp.route("/summary/export/<chart>.xlsx")
@auth_required("session")
def summary_export(chart: str):
    _require()
    if chart not in CHARTS:
        abort(404)
    filters, _errors, s = _build()
    first = {"competitors": _("Competitor"), "products": _("Product"), "regions": _("Region")}[chart]
    title = {"competitors": _("By competitor"), "products": _("By product"), "regions": _("By region")}[chart]
    headers = [first, *s.months, _("Total")]
    rows = [[row.name, *row.counts, row.total] for row in _series(s, chart)]
    rows.append([_("Total"), *[sum(row.counts[i] for row in _series(s, chart)) for i in range(len(s.months))],
                 sum(row.total for row in _series(s, chart))])
    if s.unit is not None:
        rows += [[], [_("Unit"), s.unit.name]]
    buffer = io.BytesIO()
    write_workbook(buffer, title, [str(h) for h in headers], rows, widths=[28] + [10] * (len(headers) - 1))
    buffer.seek(0)
    return send_file(buffer, as_attachment=True,
                     download_name=f"intel-summary-{chart}-{s.months[0]}_{s.months[-1]}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
