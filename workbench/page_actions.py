"""Running a service call from a page: commit on success, roll back and tell the user why on
a refusal. Every page action of the core and of plugins follows this one pattern."""
from __future__ import annotations

from typing import Any, Callable

from flask import flash

from workbench.errors import ServiceError
from workbench.extensions import db


def run_page_action(action: Callable[[], Any], success_message) -> bool:
    """Call `action`; commit and flash `success_message`, or roll back and flash the
    ServiceError's message. Returns whether it succeeded (nothing is half-written either way)."""
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return False
    db.session.commit()
    flash(success_message, "success")
    return True
