"""SMS: the gateway interface and its two backends, segment counting, quiet hours, pacing.

A gateway has one method, `send(phone, text) -> SmsResult`. WORKBENCH_SMS_BACKEND chooses:

* ``log`` (default) — writes the message to the application log; the delivery row keeps the
  text, so an install without a gateway still shows what would have been sent;
* ``http`` — POSTs WORKBENCH_SMS_HTTP_TEMPLATE (a JSON body in which the strings "{phone}"
  and "{text}" are replaced) to WORKBENCH_SMS_HTTP_URL; any 2xx answer is success.

Length: one SMS carries WORKBENCH_SMS_MAX_LENGTH characters (70 for Chinese text); a longer
message is sent as a concatenated SMS whose parts carry 3 characters fewer each (the part
header), up to WORKBENCH_SMS_MAX_SEGMENTS parts.
"""
from __future__ import annotations

import logging
import math
import re
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import requests

from workbench.notify.settings import NotifySettings, QuietHours

log = logging.getLogger(__name__)

CONCATENATION_HEADER = 3
# Mainland mobile numbers: 11 digits starting 13-19, optionally written with +86 / 0086.
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    detail: str = ""
    # A permanent failure (the gateway refused the number or the text) is not retried.
    permanent: bool = False


class SmsGateway(Protocol):
    name: str

    def send(self, phone: str, text: str) -> SmsResult: ...


class LogSmsGateway:
    """The default: no gateway, the message goes to the log (and stays on the delivery row)."""

    name = "log"

    def send(self, phone: str, text: str) -> SmsResult:
        log.info("SMS to %s: %s", phone, text)
        return SmsResult(ok=True, detail="written to the log (no SMS gateway configured)")


class HttpSmsGateway:
    """An SMS gateway reached by one HTTP POST per message with a JSON body."""

    name = "http"

    def __init__(self, url: str, template, timeout: float):
        self.url = url
        self.template = template
        self.timeout = timeout

    def body(self, phone: str, text: str):
        return _fill(self.template, {"{phone}": phone, "{text}": text})

    def send(self, phone: str, text: str) -> SmsResult:
        try:
            response = requests.post(self.url, json=self.body(phone, text), timeout=self.timeout)
        except requests.RequestException as error:
            return SmsResult(ok=False, detail=f"gateway unreachable: {type(error).__name__}")
        answer = response.text[:200]
        if 200 <= response.status_code < 300:
            return SmsResult(ok=True, detail=f"HTTP {response.status_code} {answer}".strip())
        # 4xx: the gateway refused this message; sending it again will not help.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        return SmsResult(ok=False, detail=f"HTTP {response.status_code} {answer}".strip(), permanent=permanent)


def _fill(template, values: dict[str, str]):
    """Replace the placeholders inside every string of a parsed JSON template, so the text
    is escaped by the JSON encoder rather than pasted into JSON source."""
    if isinstance(template, str):
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
        return template
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    return template


def gateway(settings: NotifySettings) -> SmsGateway:
    if settings.sms_backend == "http":
        return HttpSmsGateway(settings.sms_http_url, settings.sms_http_template, settings.sms_http_timeout)
    return LogSmsGateway()


# --- length ----------------------------------------------------------------------------------

def segments(text: str, segment_length: int) -> int:
    """How many SMS a text takes: 1 up to segment_length characters, then parts of
    segment_length - 3 characters each."""
    length = len(text)
    if length <= segment_length:
        return 1 if length else 0
    return math.ceil(length / (segment_length - CONCATENATION_HEADER))


def max_characters(segment_length: int, max_segments: int) -> int:
    if max_segments <= 1:
        return segment_length
    return (segment_length - CONCATENATION_HEADER) * max_segments


def fit(text: str, settings: NotifySettings) -> str:
    """Shorten an automatic message to the longest SMS allowed, ending it with an ellipsis."""
    limit = max_characters(settings.sms_segment_length, settings.sms_max_segments)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mobile_number(phone: str | None) -> str | None:
    """The 11-digit mobile number in `phone`, or None when it is empty or not a mobile."""
    if not phone:
        return None
    match = _MOBILE.match(re.sub(r"[\s\-()]", "", phone))
    return match.group(1) if match else None


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


# --- quiet hours -----------------------------------------------------------------------------

def quiet_until(now_utc: datetime, quiet: QuietHours | None, zone) -> datetime | None:
    """None when an SMS may go now; else the naive-UTC time quiet hours end (the morning)."""
    if quiet is None:
        return None
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    if not quiet.contains(local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    # Rebuild through the zone so a change of UTC offset overnight is respected.
    end = end.replace(tzinfo=None).replace(tzinfo=zone)
    return end.astimezone(timezone.utc).replace(tzinfo=None)


# --- pacing ----------------------------------------------------------------------------------

class Throttle:
    """At most `rate` sends per second: wait() sleeps until the next send is allowed."""

    def __init__(self, rate: float, sleep=clock.sleep, monotonic=clock.monotonic):
        self.interval = 1.0 / rate
        self._sleep = sleep
        self._monotonic = monotonic
        self._next = None

    def wait(self) -> None:
        now = self._monotonic()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval
