"""The ict plugin's homepage cards: my projects by stage (a chart fed by JSON) and the
milestones due this week. The core renders them from /homepage/widgets/<key> in the reader's
request, so the data scope (plus team membership) applies."""
from __future__ import annotations

from flask import render_template
from flask_security import current_user

from plugins.ict import services


def my_projects():
    counts = services.counts_by_stage(current_user)
    return render_template("ict/widgets/my_projects.html", counts=counts, total=sum(counts.values()),
                           labels=services.STAGE_LABELS)


def milestones_due():
    return render_template("ict/widgets/milestones_due.html", rows=services.milestones_due(current_user),
                           today=services.utcnow().date())
