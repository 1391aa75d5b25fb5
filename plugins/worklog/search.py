"""Typed work logs in the global search: by content, next step, contacts and customer.
System entries are left out (their text is the other module's record, found there). Scope is
the database's: each hit is re-read under the reader's data scope before it is shown."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from plugins.worklog import services
from plugins.worklog.models import WorkLog
from workbench.contracts import SearchSource


def log_document(log: WorkLog) -> dict:
    customer = log.customer.name if log.customer else ""
    when = services.to_local(log.happened_at).strftime("%Y-%m-%d %H:%M")
    summary = log.content.replace("\n", " ")[:60]
    return {
        "title": f"{customer} · {summary}" if customer else summary,
        "body": "\n".join(part for part in (log.content, log.next_step, services.contact_names(log)) if part),
        "keywords": customer,
        "pinyin": customer,
        "detail": " · ".join(part for part in (services.kind_label(log.kind), when,
                                               log.owner.name if log.owner else "") if part),
    }


def log_url(log: WorkLog) -> str:
    return services.log_link(log)


def typed_only(statement):
    return statement.where(WorkLog.system.is_(False))


LOGS = SearchSource(key="worklog.log", label=_l("Work logs"), model=WorkLog, document=log_document, url=log_url,
                    icon="bi-journal-text", query=typed_only, order=70, permission="worklog.view")
