"""Warnings in the global search: by customer name (and pinyin), rule and period. Scope is
the database's: each hit is re-read under the reader's data scope before it is shown."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from plugins.warning import rules
from plugins.warning.models import CustomerWarning
from workbench.contracts import SearchSource


def warning_document(warning: CustomerWarning) -> dict:
    with force_locale("zh_Hans_CN"):
        chinese = str(rules.rule_label(warning.rule))
    with force_locale("en"):
        english = str(rules.rule_label(warning.rule))
    customer = warning.customer
    return {
        "title": warning.title,
        "body": " ".join(part for part in (warning.note, warning.reference) if part),
        "keywords": " ".join(part for part in (chinese, english, warning.period, customer.code if customer else "")
                             if part),
        "pinyin": customer.name if customer else "",
        "detail": " · ".join(part for part in (warning.period, warning.status) if part),
        "facets": {"status": warning.status, "severity": warning.severity},
    }


def warning_url(warning: CustomerWarning) -> str:
    return f"/warning/{warning.id}"


WARNINGS = SearchSource(
    key="warning.warning", label=_l("Warnings"), model=CustomerWarning, document=warning_document, url=warning_url,
    icon="bi-exclamation-triangle", order=45, permission="warning.view")
