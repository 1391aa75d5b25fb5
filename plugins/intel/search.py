"""Intel in the global search: found by title, competitor, customer, product, offer and
description. Merged duplicates are left out (their survivor is found). Each hit is re-read
under the reader's data scope (widened for push recipients, see models.Intel.scope_clause)
before it is shown, so nobody finds an item they could not open; pushed items are marked
public only to pass the index's pre-filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.intel.models import Intel
from workbench.contracts import SearchSource


def intel_document(item: Intel) -> dict:
    competitor = item.competitor.name if item.competitor else ""
    return {
        "title": item.title,
        "body": "\n".join(part for part in (competitor, item.customer_name, item.product, item.offer,
                                             item.description, item.source_detail) if part),
        "keywords": item.code,
        "pinyin": item.customer_name,
        "detail": " · ".join(part for part in (item.code, competitor, item.customer_name,
                                                item.observed_on.isoformat() if item.observed_on else "") if part),
        # Pushed items (and survivors of merged duplicates) are read by people outside their
        # unit: let them past the index's owner/unit pre-filter. The database check — the
        # model's scope_clause, widened exactly for those people — still decides.
        "public": bool(item.push_count or item.duplicate_count),
    }


def intel_url(item: Intel) -> str:
    return f"/intel/{item.id}"


def not_merged(statement):
    return statement.where(Intel.status != "merged")


INTEL_SOURCE = SearchSource(
    key="intel.intel", label=_l("Competitive intelligence"), model=Intel, document=intel_document,
    url=intel_url, icon="bi-binoculars", query=not_merged, order=60, permission="intel.view",
)
