"""Opportunities in the global search: found by title, code, customer, category and the
category fields. Each hit is re-read under the reader's data scope (ScopedMixin, widened as
the model says), so nobody finds an opportunity they could not open."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import SearchSource
from plugins.opportunity.models import Opportunity


def opportunity_document(item: Opportunity) -> dict:
    details = " ".join(str(value) for value in (item.details or {}).values() if isinstance(value, (str, int, float)))
    customer = item.customer.name if item.customer else ""
    category = item.category.name if item.category else ""
    return {
        "title": item.title,
        "body": "\n".join(part for part in (item.description, customer, category, details) if part),
        "keywords": item.code,
        "pinyin": customer,
        "detail": " · ".join(part for part in (item.code, customer, category) if part),
    }


def opportunity_url(item: Opportunity) -> str:
    return f"/opportunity/{item.id}"


OPPORTUNITY_SOURCE = SearchSource(
    key="opportunity.opportunity", label=_l("Opportunities"), model=Opportunity, document=opportunity_document,
    url=opportunity_url, icon="bi-lightbulb", order=30, permission="opportunity.view",
)
