"""The pages a user opens in the morning, as the benchmarks and the growth test measure them.

One list serves both: the gunicorn + wrk benchmark (`benchmarks/province.py`) loads each page
for a typical account manager and a lead, and `tests/bench` asserts that each page issues the
same number of SQL statements at every data scale. A page or widget that a plugin adds is
measured without anyone listing it here, because the widgets and customer sections come from
the plugin registry, filtered by what the user may see.
"""
from __future__ import annotations

from dataclasses import dataclass

from workbench.homepage import services as homepage_services
from workbench.plugins import registry


@dataclass(frozen=True)
class BenchPage:
    """A page to load: `path` may hold `{customer_id}` and `{query}`, filled per request."""

    name: str
    path: str
    kind: str  # "page", "widget", "customer", "search"


def pages_for(user) -> list[BenchPage]:
    """The inbox, the homepage shell, every widget the user may place, the customer page and
    each customer section the user may open, and search — in that order."""
    pages = [
        BenchPage("inbox", "/inbox/", "page"),
        BenchPage("homepage shell", "/", "page"),
    ]
    for key in sorted(homepage_services.available_widgets(user)):
        pages.append(BenchPage(f"widget: {key}", f"/homepage/widgets/{key}", "widget"))
    pages.append(BenchPage("customer page", "/customers/{customer_id}", "customer"))
    for section in registry().customer_sections:
        if section.permission is None or user.can(section.permission):
            pages.append(BenchPage(f"customer section: {section.key}",
                                   f"/customers/{{customer_id}}/sections/{section.key}", "customer"))
    pages.append(BenchPage("search", "/search/?q={query}", "search"))
    return pages
