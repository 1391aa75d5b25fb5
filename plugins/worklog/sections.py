"""The customer page's "Service trail / 服务轨迹" section: every log of the customer the reader
may see — typed and written by the system from other modules — newest first, paged, with a
type filter. Paging and filtering reload only the section (htmx)."""
from __future__ import annotations

from flask import render_template

from plugins.worklog import services
from workbench.extensions import db

PAGE_SIZE = 10


def trail(customer, page: int = 1, kind: str | None = None):
    kind = kind if kind in services.KIND_VALUES else None
    result = db.paginate(services.trail_query(customer.id, kind), page=max(page, 1), per_page=PAGE_SIZE,
                         error_out=False)
    return render_template("worklog/section.html", customer=customer, page=result, kind=kind,
                           kinds=services.KIND_LABELS, s=services)
