"""The homepage widget "Announcements": the newest announcements for the reader."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from workbench.notify import announcements


def latest_announcements():
    return render_template("notify/widgets/announcements.html",
                           items=announcements.for_reader(current_user, limit=5),
                           can_announce=current_user.can(announcements.PERMISSION))
