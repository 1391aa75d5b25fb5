"""Resource requests and catalogue items in the global search. Requests are scoped (each hit
is re-read under the reader's scope); catalogue items are shared, found by name, code and
pinyin (礼品 ← lp)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.resources.models import ResourceItem, ResourceRequest
from workbench.contracts import SearchSource


def request_document(request: ResourceRequest) -> dict:
    names = " ".join(f"{line.name}×{line.quantity}" for line in request.lines)
    customer = request.customer.name if request.customer else ""
    return {"title": f"{request.code} {request.title}", "body": "\n".join(p for p in (request.purpose, names) if p),
            "keywords": request.code, "pinyin": customer,
            "detail": " · ".join(p for p in (customer, request.submitted_at.strftime("%Y-%m-%d")) if p)}


def item_document(item: ResourceItem) -> dict:
    return {"title": item.name, "body": item.description, "keywords": item.code, "pinyin": item.name,
            "detail": " · ".join(p for p in (item.type.name if item.type else "", f"{item.unit_value} / {item.measure}")
                                 if p)}


REQUESTS = SearchSource(key="resources.request", label=_l("Resource requests"), model=ResourceRequest,
                        document=request_document, url=lambda r: f"/resources/requests/{r.id}", icon="bi-gift",
                        order=70, permission="resources.view")
ITEMS = SearchSource(key="resources.item", label=_l("Resource catalogue"), model=ResourceItem,
                     document=item_document, url=lambda i: f"/resources/?q={i.code}", icon="bi-box-seam",
                     query=lambda statement: statement.where(ResourceItem.active.is_(True)), order=71,
                     permission="resources.view")
