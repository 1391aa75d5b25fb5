"""How ICT projects follow their opportunity work order: the opportunity plugin's events.

Called after the opportunity's transaction committed, in the system scope, acting for the
person who moved the order (the core commits when this returns; a failure rolls back this
handler's work only).
"""
from __future__ import annotations

from workbench.auth.models import User
from workbench.extensions import db

from plugins.ict import services


def _actor(event) -> User | None:
    return db.session.get(User, event.actor_id) if event.actor_id else None


def handle(event) -> None:
    if event.name == "opportunity.stage_changed":
        to_stage = event.payload.get("to_stage")
        if to_stage in ("pre_execution", "closed"):
            services.on_work_order_stage_changed(event.payload["opportunity_id"], to_stage, actor=_actor(event))
    elif event.name == "opportunity.signed":
        services.on_work_order_signed(event.payload["opportunity_id"], actor=_actor(event),
                                      signed_revenue=event.payload.get("signed_revenue"))
