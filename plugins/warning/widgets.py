"""Homepage widgets of the warning plugin; each renders in the reader's request and scope."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import case, func, select

from plugins.warning import rules, services
from plugins.warning.models import CustomerWarning
from workbench.extensions import db
from workbench.records import utcnow


def mine():
    """My open warnings by severity, with the most urgent few."""
    counts = services.counts_by_severity(owner=current_user)
    items = db.session.execute(
        services.warning_query(services.WarningFilter(mine=True), actor=current_user).limit(6)).unique().scalars().all()
    return render_template("warning/widget_mine.html", counts=counts, items=items, total=sum(counts.values()),
                           severities=rules.SEVERITIES, labels=rules.SEVERITY_LABELS, colours=rules.SEVERITY_COLOURS,
                           rule_label=rules.rule_label)


def unit():
    """The unit's open warnings by rule: open, overdue, escalated (the scope rule limits it
    to the lead's unit and below)."""
    now = utcnow()
    rows = db.session.execute(
        select(CustomerWarning.rule, func.count(CustomerWarning.id),
               func.sum(case((CustomerWarning.due_at < now, 1), else_=0)),
               func.sum(case((CustomerWarning.escalated_at.is_not(None), 1), else_=0)))
        .where(CustomerWarning.status == "open").group_by(CustomerWarning.rule)).all()
    order = {key: index for index, key in enumerate(rules.all_rules())}
    figures = sorted(((rule, rules.rule_label(rule), int(n), int(o or 0), int(e or 0)) for rule, n, o, e in rows),
                     key=lambda row: order.get(row[0], 999))
    counts = services.counts_by_severity()
    return render_template("warning/widget_unit.html", figures=figures, counts=counts,
                           total=sum(row[2] for row in figures), labels=rules.SEVERITY_LABELS,
                           colours=rules.SEVERITY_COLOURS, severities=rules.SEVERITIES)
