"""Homepage widgets of the intel plugin: the latest intel pushed to me, intel waiting for
screening (intel admins), and competitor activity this month. Each renders in the reader's
request, so the data scope applies to every figure."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import func, select

from plugins.intel import services, summary
from workbench.extensions import db

LIMIT = 6


def pushed_to_me():
    rows = services.pushed_to(current_user, limit=LIMIT)
    unread = services.unread_count(current_user) if rows else 0
    return render_template("intel/widget_pushed.html", rows=rows, unread=unread)


def waiting_for_screening():
    query = services.intel_query(services.IntelFilter(tab="screening", user_id=current_user.id))
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = db.session.execute(query.order_by(None).order_by(services.Intel.created_at, services.Intel.id)
                               .limit(LIMIT)).unique().scalars().all()
    return render_template("intel/widget_screening.html", items=items, total=total)


def competitor_activity():
    rows = summary.competitor_activity()
    return render_template("intel/widget_activity.html", rows=rows, peak=max((row[1] for row in rows), default=0),
                           month=services.today().strftime("%Y-%m"),
                           can_summary=current_user.can(services.PERM_SUMMARY))
