"""Hooks the warning plugin offers to other plugins (set as HOOKSPECS in plugin.py).

Another plugin contributes warning rules by implementing, with
``@hookimpl(optionalhook=True)`` so it still starts where the warning plugin is disabled::

    from plugins.warning.rules import Rule, Param, Signals   # only when warning is installed

    @hookimpl(optionalhook=True)
    def workbench_warning_rules():
        return [Rule("big_drop", _l("Big drop"), params=(...), signals=...)]
"""
from __future__ import annotations

from workbench.hookspecs import hookspec


@hookspec
def workbench_warning_rules():
    """Return a list of `plugins.warning.rules.Rule` to add to the rule registry. A metric
    rule's `signals(ctx)` returns SQL conditions and figures over the scanned month
    (ctx.cur, ctx.prev, ctx.customer, ctx.param(rule, param)); the scan turns it into one
    INSERT ... SELECT for all customers. Keys must be unique across all rules."""
