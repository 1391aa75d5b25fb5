"""`workbench warning-scan`: run the scan (and escalation) by hand, e.g. after loading a month
of indicators, or for a past month."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from workbench.errors import ServiceError


@click.command("warning-scan")
@click.option("--period", default=None, help="The month to scan, YYYY-MM (default: the newest with indicators).")
@click.option("--no-escalation", is_flag=True, help="Only raise; do not escalate overdue warnings.")
@with_appcontext
def scan_command(period, no_escalation):
    """Evaluate the warning rules for all customers of a month."""
    from plugins.warning import services
    from workbench.extensions import db

    try:
        month = services.parse_period(period, "month") if period else None
    except ServiceError as exc:
        raise click.BadParameter(str(exc.message), param_hint="--period") from None
    result = services.scan(period=month, escalate_too=not no_escalation)
    db.session.commit()
    if result.period is None:
        click.echo("No customer indicators yet: nothing to scan.")
        return
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(result.by_rule.items())) or "none"
    click.echo(f"{result.period}: {result.raised} new warnings ({by_rule}); {result.escalated} escalated.")
