"""Homepage widgets of the opportunity plugin: my opportunities by stage, the pool open for
claiming, and overdue opportunities. Each renders in the reader's request, so the data scope
applies to every figure."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user
from sqlalchemy import func, or_, select

from workbench.extensions import db
from plugins.opportunity import services
from plugins.opportunity.models import Claim, Opportunity

LIMIT = 6


def my_by_stage():
    counts = services.counts_by_stage(current_user)
    total = sum(counts.get(stage.value, 0) for stage in services.OPEN_STAGES)
    waiting = db.session.execute(select(func.count(Opportunity.id)).where(
        Opportunity.handler_id == current_user.id, Opportunity.stage.in_(services.OPEN_STAGE_VALUES))).scalar_one()
    return render_template("opportunity/widgets/by_stage.html", counts=counts, total=total, waiting=waiting,
                           stages=services.OPEN_STAGES, closed=(counts.get("signed", 0), counts.get("closed", 0)))


def pool_open():
    items = services.pool_open_for(current_user, limit=LIMIT)
    managed = []
    if current_user.can(services.PERM_DISPATCH):
        claim_counts = select(Claim.opportunity_id, func.count(Claim.id).label("n")).group_by(Claim.opportunity_id).subquery()
        managed = db.session.execute(
            select(Opportunity, func.coalesce(claim_counts.c.n, 0))
            .outerjoin(claim_counts, claim_counts.c.opportunity_id == Opportunity.id)
            .where(Opportunity.stage == services.Stage.POOL.value, Opportunity.handler_id == current_user.id)
            .order_by(Opportunity.pool_closes_at).limit(LIMIT)).unique().all()
    return render_template("opportunity/widgets/pool.html", items=items, managed=managed)


def overdue():
    now = services.utcnow()
    query = select(Opportunity).where(Opportunity.stage.in_(services.OPEN_STAGE_VALUES), Opportunity.stage_due_at < now)
    if not current_user.can(services.PERM_ALERTS) and not current_user.scope.sees_everything:
        query = query.where(or_(Opportunity.handler_id == current_user.id, Opportunity.owner_id == current_user.id))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = db.session.execute(query.order_by(Opportunity.stage_due_at).limit(LIMIT)).unique().scalars().all()
    return render_template("opportunity/widgets/overdue.html", items=items, total=total)
