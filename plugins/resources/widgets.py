"""Homepage widgets of the resources plugin; each renders in the reader's request and scope."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from plugins.resources import services
from workbench.extensions import db

LIMIT = 6


def my_requests():
    counts = services.counts_by_state(current_user, only_mine=True)
    query = services.request_query(services.RequestFilter(mine=True, state="open"), actor=current_user)
    items = db.session.execute(query.limit(LIMIT)).unique().scalars().all()
    rows = [(state, services.STATE_LABELS[state], counts.get(state.value, 0)) for state in services.State]
    return render_template("resources/widget_mine.html", items=items, rows=rows, total=sum(counts.values()),
                           labels=services.STATE_LABELS, colours=services.STATE_COLOURS, State=services.State)


def waiting_for_me():
    query = services.request_query(services.RequestFilter(waiting=True), actor=current_user)
    items = db.session.execute(query.limit(LIMIT)).unique().scalars().all()
    return render_template("resources/widget_waiting.html", items=items, labels=services.STATE_LABELS,
                           State=services.State)


def low_stock():
    return render_template("resources/widget_low.html", stocks=services.low_stock(current_user, limit=8))
