"""A throw-away plugin for the tests: it contributes a warning rule through the warning
plugin's own hook `workbench_warning_rules` (optional, so it also starts without it)."""
from __future__ import annotations

from workbench.contracts import Manifest
from workbench.hookspecs import hookimpl


@hookimpl
def workbench_manifest():
    return Manifest(name="warnextra", title="Extra warning rules", version="0.1.0")


@hookimpl(optionalhook=True)
def workbench_warning_rules():
    from sqlalchemy import literal

    from plugins.warning.rules import Param, Rule, Signals

    def signals(ctx):
        limit = ctx.param("big_customer_quiet", "revenue")
        return Signals(where=[ctx.cur.revenue.is_not(None), ctx.cur.revenue < limit, ctx.cur.members >= 200],
                       severity=literal("low"), value=ctx.cur.revenue, threshold=limit)

    return [Rule("big_customer_quiet", "Big customer gone quiet",
                 params=(Param("revenue", "Revenue below", 5000, 0, 10**9, unit="yuan"),), signals=signals, order=75)]
