"""Homepage widgets of the contract plugin; each renders in the reader's request and scope."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import func, select

from plugins.contract import services
from workbench.extensions import db


def expiring():
    contracts = db.session.execute(services.expiring_query(90).limit(8)).unique().scalars().all()
    total = db.session.execute(
        select(func.count()).select_from(services.expiring_query(90).subquery())).scalar()
    return render_template("contract/widget_expiring.html", contracts=contracts, total=total,
                           days_left=services.days_left)


def my_orders():
    counts = services.counts_by_state(current_user, only_mine=True)
    rows = [(state, services.STATE_LABELS[state], counts.get(state.value, 0))
            for state in (*services.FLOW, services.State.RETURNED, services.State.CANCELLED)]
    return render_template("contract/widget_states.html", rows=rows, total=sum(counts.values()),
                           peak=max(counts.values(), default=0), colours=services.STATE_COLOURS)


def waiting_for_me():
    query = services.contract_query(services.ContractFilter(mine=True), actor=current_user)
    contracts = db.session.execute(query.limit(8)).unique().scalars().all()
    return render_template("contract/widget_waiting.html", contracts=contracts, labels=services.STATE_LABELS,
                           State=services.State)
