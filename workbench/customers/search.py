"""Customers in the global search: the core's own SearchSource.

A customer is found by its name (also by the name's pinyin and initials: 华为技术 ← "hwjs"),
its code, industry, address and notes. Archived customers are left out, as in the list.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import SearchSource
from workbench.customers.models import Customer


def customer_document(customer: Customer) -> dict:
    return {
        "title": customer.name,
        "body": "\n".join(part for part in (customer.industry, customer.address, customer.notes) if part),
        "keywords": customer.code,
        "pinyin": customer.name,
        "detail": " · ".join(part for part in (customer.code, customer.industry, customer.level) if part),
    }


def customer_url(customer: Customer) -> str:
    # A plain path like the inbox's links: results are also built outside a request (tests, API).
    return f"/customers/{customer.id}"


def only_current(statement):
    return statement.where(Customer.archived.is_(False))


CUSTOMER_SOURCE = SearchSource(
    key="customer",
    label=_l("Customers"),
    model=Customer,
    document=customer_document,
    url=customer_url,
    icon="bi-buildings",
    query=only_current,
    order=10,
)
