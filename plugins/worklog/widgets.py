"""Homepage widgets of the worklog plugin; each renders in the reader's request and scope.

The quick entry is a small form that posts to /worklog/quick with htmx and is answered with
this same widget — the saved log, or the refusal beside its field — so a log is written
without leaving the homepage."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from flask_wtf import FlaskForm

from plugins.worklog import services


def quick_entry(saved_log=None, values: dict | None = None, errors: dict | None = None, customer=None):
    values = dict(values or {})
    values.setdefault("kind", services.Kind.SERVICE.value)
    values.setdefault("happened_at", services.to_local(services.utcnow()).strftime("%Y-%m-%dT%H:%M"))
    return render_template("worklog/widget_quick.html", saved_log=saved_log, values=values, errors=errors or {},
                           customer=customer, contacts=services.contacts_of(customer),
                           open_plans=services.open_plans_of(current_user, customer.id) if customer else [],
                           kinds=services.KIND_LABELS, s=services, csrf=FlaskForm(),
                           today=services.today().isoformat(), max_datetime=values["happened_at"])


def week_visits():
    week = services.week_visits(owner_id=current_user.id)
    return render_template("worklog/widget_week.html", week=week, s=services, today=services.today())


def team_activity():
    rows = services.team_activity()
    return render_template("worklog/widget_team.html", rows=rows[:10], more=max(0, len(rows) - 10),
                           peak=max((row.logs for row in rows), default=0))
