"""Contracts in the global search: by number, title, customer party and products.
Withdrawn orders are left out. Scope is the database's: each hit is re-read under the
reader's data scope before it is shown."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.contract.models import Contract
from workbench.contracts import SearchSource


def contract_document(contract: Contract) -> dict:
    term = ""
    if contract.start_date and contract.end_date:
        term = f"{contract.start_date.isoformat()} – {contract.end_date.isoformat()}"
    return {
        "title": f"{contract.code} {contract.title}",
        "body": "\n".join(part for part in (contract.party_a, contract.products, contract.notes) if part),
        "keywords": " ".join(part for part in (contract.code, contract.party_b) if part),
        "pinyin": contract.party_a,
        "detail": " · ".join(part for part in (contract.party_a, term) if part),
    }


def contract_url(contract: Contract) -> str:
    return f"/contract/{contract.id}"


def not_withdrawn(statement):
    return statement.where(Contract.state != "cancelled")


CONTRACTS = SearchSource(
    key="contract.contract", label=_l("Contracts"), model=Contract, document=contract_document,
    url=contract_url, icon="bi-file-earmark-text", query=not_withdrawn, order=40,
    permission="contract.view",
)
