"""The registry of system log entries: which events of other modules write a log to the
customer's service trail, the log type each becomes, and the sentence shown for it.

A system log stores the event's name and payload; `describe(log)` renders the sentence at
display time in the reader's language, so a Chinese and an English reader each read their
own. An event name missing from the registry (an entry written by an older version, or a
module that renamed an event) still shows a sentence: the fallback names the event.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

# Stage names of the modules whose events arrive here. Kept as the same msgids those modules
# use, so the catalogue translates them once; unknown stages show as sent.
STAGE_NAMES = {
    "new": _l("New"), "pool": _l("In the pool"), "assignment": _l("Assigned"),
    "survey_review": _l("Survey review"), "confirmation": _l("Confirmation"),
    "pre_execution": _l("Contract pre-execution pool"), "signed": _l("Signed"), "closed": _l("Closed"),
    "discovery": _l("Discovery"), "review": _l("Review"), "monitoring": _l("Monitoring"),
    "abandoned": _l("Abandoned"),
}


class _Values(dict):
    """Payload values for %-formatting: a key the payload lacks renders as nothing."""

    def __missing__(self, key):
        return ""


def _stage(value) -> str:
    if value is None:
        return ""
    label = STAGE_NAMES.get(str(value))
    return str(label) if label is not None else str(value)


def _items(payload: dict) -> str:
    items = payload.get("items") or []
    parts = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name"):
            parts.append(f"{item['name']} × {item.get('quantity', 1)}")
    return "、".join(parts)


def _values(payload: dict) -> _Values:
    values = _Values({key: ("" if value is None else value) for key, value in payload.items()
                      if isinstance(value, (str, int, float))})
    values["title"] = payload.get("title") or payload.get("code") or payload.get("name") or ""
    values["from_stage"] = _stage(payload.get("from_stage"))
    values["to_stage"] = _stage(payload.get("to_stage"))
    values["stage"] = _stage(payload.get("stage"))
    values["items"] = _items(payload)
    return values


@dataclass(frozen=True)
class SystemEntry:
    """How one event becomes a log: its type, its sentence (an msgid with %(key)s fields
    filled from the payload) and the page of the record it came from."""

    kind: str
    message: object
    endpoint: str | None = None   # the record's page, if that module is enabled
    id_key: str | None = None     # payload key holding the record id
    url_arg: str | None = None    # the endpoint's argument name
    detail: Callable[[dict], object] | None = None  # an optional second sentence


def _amount(payload: dict):
    amount = payload.get("amount") or payload.get("signed_revenue")
    return _l("Amount: %(amount)s", amount=amount) if amount not in (None, "") else None


def _reason(payload: dict):
    reason = payload.get("reason") or payload.get("outcome") or payload.get("action")
    return str(reason) if reason else None


REGISTRY: dict[str, SystemEntry] = {
    "opportunity.created": SystemEntry("work", _l("Opportunity reported: %(title)s"),
                                       "opportunity.detail", "opportunity_id", "opportunity_id"),
    "opportunity.stage_changed": SystemEntry(
        "work", _l("Opportunity %(title)s moved from %(from_stage)s to %(to_stage)s"),
        "opportunity.detail", "opportunity_id", "opportunity_id"),
    "opportunity.signed": SystemEntry("work", _l("Opportunity signed: %(title)s"), "opportunity.detail",
                                      "opportunity_id", "opportunity_id", detail=_amount),
    "contract.confirmed": SystemEntry("work", _l("Contract %(code)s confirmed"), "contract.detail",
                                      "contract_id", "contract_id", detail=_amount),
    "ict.project_created": SystemEntry("project", _l("ICT project started: %(title)s"), "ict.detail",
                                       "project_id", "project_id"),
    "ict.project_closed": SystemEntry("project", _l("ICT project finished (%(stage)s): %(title)s"), "ict.detail",
                                      "project_id", "project_id", detail=_reason),
    "solutions.proposal_generated": SystemEntry("work", _l("Solution proposal generated: %(title)s"),
                                                "solutions.proposal", "proposal_id", "proposal_id"),
    "warning.raised": SystemEntry("service", _l("Warning raised: %(title)s"), "warning.detail",
                                  "warning_id", "warning_id"),
    "warning.handled": SystemEntry("service", _l("Warning handled: %(title)s"), "warning.detail",
                                   "warning_id", "warning_id", detail=_reason),
    "warning.escalated": SystemEntry("service", _l("Warning escalated to the leads: %(title)s"), "warning.detail",
                                     "warning_id", "warning_id"),
    "intel.pushed": SystemEntry("service", _l("Competitive intelligence pushed: %(title)s"), "intel.detail",
                                "intel_id", "intel_id"),
    "resources.request_approved": SystemEntry("service", _l("Resource request approved: %(title)s"),
                                              "resources.detail", "request_id", "request_id"),
    "resources.request_issued": SystemEntry("service", _l("Resources issued: %(title)s"), "resources.detail",
                                            "request_id", "request_id",
                                            detail=lambda payload: _items(payload) or None),
    "resources.use_confirmed": SystemEntry("service", _l("Use of resources confirmed: %(title)s"),
                                           "resources.detail", "request_id", "request_id"),
}

SYSTEM_EVENTS = frozenset(REGISTRY)


def kind_of(event_name: str) -> str:
    entry = REGISTRY.get(event_name)
    return entry.kind if entry else "work"


def describe(event_name: str | None, payload: dict | None) -> str:
    """The sentence of a system log in the current language."""
    payload = payload or {}
    entry = REGISTRY.get(event_name or "")
    if entry is None:
        return str(_l("Recorded automatically: %(event)s", event=event_name or "?"))
    try:
        text = str(entry.message) % _values(payload)
    except (TypeError, ValueError):  # a payload value that cannot be formatted
        text = str(entry.message).split("%(")[0].rstrip(": ")
    return text.strip().rstrip(":").strip()


def detail_of(event_name: str | None, payload: dict | None) -> str:
    entry = REGISTRY.get(event_name or "")
    if entry is None or entry.detail is None:
        return ""
    value = entry.detail(payload or {})
    return str(value) if value else ""


def link_of(event_name: str | None, payload: dict | None) -> str | None:
    """The source record's page, when its module is enabled and has such a page."""
    entry = REGISTRY.get(event_name or "")
    payload = payload or {}
    if entry is None or not entry.endpoint or entry.endpoint not in current_app.view_functions:
        return None
    record_id = payload.get(entry.id_key)
    if not isinstance(record_id, int):
        return None
    try:
        return url_for(entry.endpoint, **{entry.url_arg: record_id})
    except BuildError:
        return None
